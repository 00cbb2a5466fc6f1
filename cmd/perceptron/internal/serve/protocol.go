package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The JSON documents of the Open Inference Protocol (KServe's v2) over REST.

// inferRequest is the body of POST /v2/models/{name}/infer.
type inferRequest struct {
	ID         string          `json:"id,omitempty"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Inputs     []inputTensor   `json:"inputs"`
	Outputs    []outputRequest `json:"outputs,omitempty"`
}

// inputTensor is one of a request's inputs: data flat in row-major order,
// or nested as the shape.
type inputTensor struct {
	Name       string          `json:"name"`
	Shape      []int           `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// outputRequest names an output the client wants; none means all.
type outputRequest struct {
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// inferResponse is the answer to an inference request.
type inferResponse struct {
	ModelName string         `json:"model_name"`
	ID        string         `json:"id,omitempty"`
	Outputs   []outputTensor `json:"outputs"`
}

// outputTensor is one output, its data flat in row-major order.
type outputTensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
	Data     any    `json:"data"`
}

// tensorMeta describes a tensor in the model's metadata; -1 is any size.
type tensorMeta struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// modelMetadata is the answer to GET /v2/models/{name}.
type modelMetadata struct {
	Name     string       `json:"name"`
	Versions []string     `json:"versions"`
	Platform string       `json:"platform"`
	Inputs   []tensorMeta `json:"inputs"`
	Outputs  []tensorMeta `json:"outputs"`
}

// errorBody is every error's answer.
type errorBody struct {
	Error string `json:"error"`
}

// The names of the tensors of a model of numeric rows, and of the class
// output of a model with class names.
const (
	inputName  = "input"
	outputName = "output"
	className  = "class"
)

// decodeRequest parses an inference request strictly: one JSON object, no
// unknown fields, nothing after it. Errors say where the JSON went wrong.
func decodeRequest(body []byte) (inferRequest, error) {
	var req inferRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, jsonError(err, body)
	}
	if dec.More() {
		return req, fmt.Errorf("malformed JSON at byte %d: more data after the request's object", dec.InputOffset()+1)
	}
	if len(req.Inputs) == 0 {
		return req, errors.New(`the request has no "inputs"`)
	}
	return req, nil
}

// jsonError rewords a decoding error of body with its byte offset.
func jsonError(err error, body []byte) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return errors.New("the request body is empty: expected a JSON object with \"inputs\"")
	case errors.As(err, &syntax):
		return fmt.Errorf("malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		return fmt.Errorf("field %q at byte %d: expected %s, found a JSON %s", typ.Field, typ.Offset, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: the body ends before the request's object does")
	}
	return fmt.Errorf("malformed request: %s", strings.TrimPrefix(err.Error(), "json: "))
}
