"""Golden runs of gradient clipping and ReduceLROnPlateau, on optim.py's network and data.

"Clip" cases clip every step's gradients with torch.nn.utils.clip_grad_norm_ or clip_grad_value_ between
backward() and the optimizer's step. "Plateau" cases train for PLATEAU_EPOCHS epochs (their own
permutations) and step torch.optim.lr_scheduler.ReduceLROnPlateau after each epoch on the mean validation
loss or the validation accuracy of VAL fixed examples, as the engine's Fit does with Config.Monitor.
Each case records what optim.py's do, and the validation figures of each epoch ("Val": loss, accuracy).
For engine/backendtest/clip.go.

Run with Debian's python3-torch from this folder: /usr/bin/python3 clip.py > clip.json
"""
import json

from optim import CLIP_CASES, LABELS_VAL, PLATEAU_CASES, PLATEAU_EPOCHS, PLATEAU_PERMS, X_VAL, run

print(json.dumps({
    "Clip": [run(name, batch, o, "constant", 0, lr, clip_norm=cn, clip_value=cv) for name, batch, o, lr, cn, cv in CLIP_CASES],
    "PlateauEpochs": PLATEAU_EPOCHS, "PlateauPerms": PLATEAU_PERMS,
    "XVal": X_VAL.flatten().tolist(), "LabelsVal": LABELS_VAL.tolist(),
    "Plateau": [run(name, batch, o, schedule, 0, lr, monitor=m) for name, batch, o, lr, schedule, m in PLATEAU_CASES],
}, indent=1))
