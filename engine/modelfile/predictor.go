package modelfile

import "github.com/perceptron-go/perceptron/engine"

// Predictor returns a Predictor of the model's network on be that applies
// the model's scaler or tabular preprocessing, so that no caller can skip
// them (see engine.Predictor).
func (m Model) Predictor(be engine.Backend) (*engine.Predictor, error) {
	return engine.NewPredictor(be, m.Network, engine.Preprocessing{Scaler: m.Scaler, Prep: m.Prep})
}
