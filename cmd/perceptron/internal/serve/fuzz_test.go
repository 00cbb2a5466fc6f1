package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// FuzzInfer sends the infer endpoint of a numeric and of a tabular model
// arbitrary bodies. Every one gets an answer the protocol allows: 200 with
// the rows' outputs, or a client error with a JSON error; never a panic
// recovered into a 500.
func FuzzInfer(f *testing.F) {
	for _, seed := range []string{
		`{"inputs":[{"name":"input","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4]]}]}`,
		`{"inputs":[{"name":"input","shape":[1,2],"datatype":"FP32","data":[1,2]}],"outputs":[{"name":"output"}]}`,
		`{"inputs":[{"name":"a","shape":[2],"datatype":"BYTES","data":["1",null]},{"name":"color","shape":[2],"datatype":"BYTES","data":["red","?"]}]}`,
		`{"inputs":[{"name":"input","shape":[-1,2],"datatype":"FP64","data":[]}]}`,
		`{"inputs":[{"name":"input","shape":[1e30,2],"datatype":"FP64","data":[1,2]}]}`,
		`{"inputs":[]}`, `{}`, `[`, `null`, `{"inputs":[{"name":"input","shape":[1,2],"datatype":"INT8","data":[1,2]}]}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	handlers := map[bool]http.Handler{}
	for _, tabular := range []bool{false, true} {
		m, _ := saved(f, engine.Float32, tabular)
		s, err := New(m, testConfig())
		require.NoError(f, err)
		f.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.Shutdown(ctx)
		})
		handlers[tabular] = s.Handler()
	}
	f.Fuzz(func(t *testing.T, body []byte, tabular bool) {
		rec := httptest.NewRecorder()
		handlers[tabular].ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v2/models/m/infer", bytes.NewReader(body)))
		require.True(t, json.Valid(rec.Body.Bytes()), "the answer is JSON: %s", rec.Body)
		switch rec.Code {
		case http.StatusOK:
			var r response
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
			require.NotEmpty(t, r.Outputs)
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var e errorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
			require.NotEmpty(t, e.Error, "a client error says what is wrong")
		default:
			t.Fatalf("answered %d to %q: %s", rec.Code, body, rec.Body)
		}
	})
}
