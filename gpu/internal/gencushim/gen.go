package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The packages whose driver calls the shim serves; the shim itself, whose C
// files define the driver functions rather than call them; and the driver
// function its loader.c defines by hand.
const (
	packages    = "gorgonia.org/cu github.com/perceptron-go/perceptron/gpu/..."
	shimPackage = "github.com/perceptron-go/perceptron/gpu/internal/cushim"
	handWritten = "cuInit"
)

// errNoHeader is returned when the C preprocessor cannot find cuda.h.
var errNoHeader = errors.New("cuda.h not found: install the CUDA 11.8 toolkit (bash .ci/install-cuda)")

// generate returns the contents of trampolines.c.
func generate() ([]byte, error) {
	pkgs, err := listPackages()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range pkgs {
		found, err := p.driverCalls()
		if err != nil {
			return nil, err
		}
		names = append(names, found...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	version, symbols, header, err := preprocess(names)
	if err != nil {
		return nil, err
	}
	var funcs []function
	for _, sym := range symbols {
		f, ok, err := declaration(header, sym)
		if err != nil {
			return nil, err
		}
		if ok && sym != handWritten {
			funcs = append(funcs, f)
		}
	}
	slices.SortFunc(funcs, func(a, b function) int { return strings.Compare(a.name, b.name) })
	funcs = slices.CompactFunc(funcs, func(a, b function) bool { return a.name == b.name })
	var cu string
	for _, p := range pkgs {
		if p.ImportPath == "gorgonia.org/cu" {
			cu = p.ImportPath + " " + p.Module.Version
		}
	}
	return write(version, cu, funcs), nil
}

// pkg is what go list says of a package.
type pkg struct {
	ImportPath, Dir          string
	CgoFiles, CFiles, HFiles []string
	Module                   struct{ Version string }
}

// listPackages lists the packages of the cuda build that may call the driver.
func listPackages() ([]pkg, error) {
	cmd := exec.Command("go", append([]string{"list", "-tags", "cuda", "-json"}, strings.Fields(packages)...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", packages, err)
	}
	var pkgs []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

var (
	cCall    = regexp.MustCompile(`\b(cu[A-Z]\w*)\s*\(`)
	cComment = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
)

// driverCalls returns the cu… names that p's cgo refers to: C.cu… in its Go
// files, cu…( in their preambles and in its C sources. Some are not driver
// functions (cu defines a few of its own in C); declaration sorts them out.
func (p pkg) driverCalls() ([]string, error) {
	var names []string
	fset := token.NewFileSet()
	for _, name := range p.CgoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "C" && strings.HasPrefix(sel.Sel.Name, "cu") {
					names = append(names, sel.Sel.Name)
				}
			}
			if imp, ok := n.(*ast.ImportSpec); ok && imp.Path.Value == `"C"` {
				names = append(names, calls(preamble(f, imp))...)
			}
			return true
		})
	}
	if p.ImportPath == shimPackage {
		return names, nil
	}
	for _, name := range slices.Concat(p.CFiles, p.HFiles) {
		src, err := os.ReadFile(filepath.Join(p.Dir, name))
		if err != nil {
			return nil, err
		}
		names = append(names, calls(string(src))...)
	}
	return names, nil
}

// preamble returns the cgo preamble of the import of "C" in f.
func preamble(f *ast.File, imp *ast.ImportSpec) string {
	if imp.Doc != nil {
		return imp.Doc.Text()
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && len(g.Specs) == 1 && g.Specs[0] == imp && g.Doc != nil {
			return g.Doc.Text()
		}
	}
	return ""
}

// calls returns the cu… names called in C source, outside comments.
func calls(src string) []string {
	var names []string
	for _, m := range cCall.FindAllStringSubmatch(cComment.ReplaceAllString(src, ""), -1) {
		names = append(names, m[1])
	}
	return names
}

// preprocess runs the C preprocessor on cuda.h and names. It returns
// CUDA_VERSION, the symbol each name becomes, and the preprocessed cuda.h
// with its white space collapsed.
func preprocess(names []string) (version string, symbols []string, header string, err error) {
	cc, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		return "", nil, "", fmt.Errorf("go env CC: %w", err)
	}
	var in strings.Builder
	in.WriteString("#include <cuda.h>\ngencushim_version CUDA_VERSION\n")
	for _, name := range names {
		fmt.Fprintf(&in, "gencushim_symbol %s\n", name)
	}
	ccArgs := strings.Fields(string(cc))
	if len(ccArgs) == 0 {
		return "", nil, "", errors.New("go env CC: no C compiler")
	}
	cmd := exec.Command(ccArgs[0], append(ccArgs[1:], "-E", "-P", "-I/usr/local/cuda/include", "-x", "c", "-")...)
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "cuda.h") {
			return "", nil, "", fmt.Errorf("%w (%s)", errNoHeader, strings.TrimSpace(stderr.String()))
		}
		return "", nil, "", fmt.Errorf("preprocessing cuda.h: %w\n%s", err, stderr.String())
	}
	text, tail, ok := strings.Cut(string(out), "gencushim_version ")
	if !ok {
		return "", nil, "", errors.New("preprocessing cuda.h: no CUDA_VERSION in its output")
	}
	for _, line := range strings.Split(tail, "\n") {
		if sym, ok := strings.CutPrefix(line, "gencushim_symbol "); ok {
			symbols = append(symbols, strings.TrimSpace(sym))
		} else if version == "" {
			version = strings.TrimSpace(line)
		}
	}
	if len(symbols) != len(names) {
		return "", nil, "", fmt.Errorf("preprocessing cuda.h: %d names became %d symbols", len(names), len(symbols))
	}
	return version, symbols, strings.Join(strings.Fields(text), " "), nil
}

// function is a driver function: its symbol, its parameters as cuda.h
// declares them, and their names.
type function struct {
	name, params string
	args         []string
}

var (
	paramName = regexp.MustCompile(`[\w*\s]\s*\b(\w+)\s*(\[[^\]]*\])?$`)
	notAName  = regexp.MustCompile(`^(CU\w*|cu[A-Z]\w*|\w+_t|void|const|char|short|int|long|unsigned|signed|float|double)$`)
)

// declaration finds sym's prototype in the preprocessed header; ok is false
// when the header declares no function sym. A driver function must return
// CUresult and name its parameters.
func declaration(header, sym string) (f function, ok bool, err error) {
	var found []string
	for _, loc := range regexp.MustCompile(`\b`+sym+`\s*\(`).FindAllStringIndex(header, -1) {
		start := strings.LastIndexAny(header[:loc[0]], ";}") + 1
		end := strings.IndexByte(header[loc[0]:], ';')
		if end < 0 {
			return function{}, false, fmt.Errorf("cuda.h: the declaration of %s has no end", sym)
		}
		found = append(found, strings.TrimSpace(header[start:loc[0]+end]))
	}
	if len(found) == 0 {
		return function{}, false, nil
	}
	proto := regexp.MustCompile(`^(?:__attribute__\(\(\w+\)\) )?CUresult ` + sym + ` ?\(([^()]*)\)$`)
	m := proto.FindStringSubmatch(found[0])
	if m == nil {
		return function{}, false, fmt.Errorf("cuda.h: %q: expected CUresult %s(parameters)", found[0], sym)
	}
	for _, other := range found[1:] {
		if other != found[0] {
			return function{}, false, fmt.Errorf("cuda.h declares %s twice: %q and %q", sym, found[0], other)
		}
	}
	f = function{name: sym, params: m[1]}
	if f.params == "void" {
		return f, true, nil
	}
	for _, param := range strings.Split(f.params, ",") {
		n := paramName.FindStringSubmatch(strings.TrimSpace(param))
		if n == nil || notAName.MatchString(n[1]) {
			return function{}, false, fmt.Errorf("cuda.h: %s: parameter %q has no name", sym, param)
		}
		f.args = append(f.args, n[1])
	}
	return f, true, nil
}

// write returns trampolines.c for the functions.
func write(version, cu string, funcs []function) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Code generated by gencushim from cuda.h (CUDA_VERSION %s) and the driver
// calls of %s and of the gpu packages; DO NOT EDIT.

//go:build cuda

// The trampolines of the %[3]d driver functions the cuda build calls, each a
// jump to the function of the same name in the driver library that
// loader.c loads, or CUDA_ERROR_NOT_INITIALIZED where it has none.

#include "cushim.h"

#if CUDA_VERSION != %[1]s
#error "trampolines.c was generated from cuda.h of CUDA_VERSION %[1]s: run go generate ./gpu/internal/cushim"
#endif

const int cushim_count = %[3]d;

const char *const cushim_names[%[3]d] = {
`, version, cu, len(funcs))
	for _, f := range funcs {
		fmt.Fprintf(&b, "\t%q,\n", f.name)
	}
	fmt.Fprintf(&b, "};\n\nvoid *cushim_fns[%d];\n\n#pragma GCC visibility push(hidden)\n\n", len(funcs))
	for i, f := range funcs {
		fmt.Fprintf(&b, "CUSHIM_TRAMPOLINE(%d, %s, (%s), (%s))\n", i, f.name, f.params, strings.Join(f.args, ", "))
	}
	b.WriteString("\n#pragma GCC visibility pop\n")
	return b.Bytes()
}
