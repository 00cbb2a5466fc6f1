package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/perceptron-go/perceptron/cmd/perceptron/internal/serve"
)

// serveCommand serves a model over KServe's Open Inference Protocol (v2,
// REST) until SIGINT or SIGTERM, reloading the model file on SIGHUP.
func serveCommand(args []string, stdout, stderr io.Writer) error {
	var model, addr, name, backend string
	cfg := serve.Config{Log: stderr}
	fs, parse := newFlags("serve", "--model PATH [--addr HOST:PORT] [flags]", stderr)
	fs.StringVar(&model, "model", "", "model file written by perceptron train")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	fs.StringVar(&name, "name", "", "the model's name in /v2/models/NAME (default: the file's name without its extension)")
	fs.IntVar(&cfg.MaxBatch, "max-batch", 64, "the most rows one batch gathers from queued requests; 1: no batching")
	fs.DurationVar(&cfg.MaxDelay, "max-delay", time.Millisecond, "how long a batch waits for more requests after its first; 0: only those queued already")
	fs.IntVar(&cfg.Queue, "queue", 256, "the most inference requests waiting; more are answered 503")
	fs.Int64Var(&cfg.MaxBody, "max-body", 16<<20, "the largest request body in bytes; larger ones are answered 413")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "the time to read a request, and to wait for its prediction (408, 504 after)")
	fs.StringVar(&backend, "backend", "cpu", "auto, cpu or cuda")
	if err := parse(args); err != nil {
		return err
	}
	if model == "" {
		return withHint(errors.New("serve: needs --model"), "perceptron serve --model model.safetensors")
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(model), filepath.Ext(model))
	}
	cfg.Name = name
	be, err := openBackend(backend)
	if err != nil {
		return err
	}
	load := func() (serve.Model, error) { return serve.Load(model, be) }
	m, err := load()
	if err != nil {
		return err
	}
	srv, err := serve.New(m, cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return withHint(fmt.Errorf("serve: --addr: %w", err), "choose another port, or --addr 127.0.0.1:0 for any free one")
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fmt.Fprintf(stderr, "perceptron: serving %s (%s) at http://%s/v2/models/%s\n", name, shape(m), l.Addr(), name)
	for {
		select {
		case err := <-served:
			return err
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if err := srv.Reload(load); err != nil {
					fmt.Fprintf(stderr, "perceptron: SIGHUP: %v; still serving the model loaded before\n", err)
				} else {
					fmt.Fprintf(stderr, "perceptron: SIGHUP: reloaded %s\n", model)
				}
				continue
			}
			fmt.Fprintf(stderr, "perceptron: %s: finishing the requests in flight\n", signalName(sig))
			ctx, cancel := context.WithTimeout(context.Background(), 2*cfg.Timeout)
			err := srv.Shutdown(ctx)
			cancel()
			if err != nil {
				return fmt.Errorf("serve: stopping: %w", err)
			}
			fmt.Fprintln(stderr, "perceptron: stopped")
			return <-served
		}
	}
}

// shape describes what a served model takes and gives.
func shape(m serve.Model) string {
	p := m.Predictor
	in := fmt.Sprintf("%d inputs", p.Inputs())
	if m.Columns != nil {
		in = fmt.Sprintf("%d columns", len(m.Columns))
	}
	return fmt.Sprintf("%s, %d outputs", in, p.Outputs())
}
