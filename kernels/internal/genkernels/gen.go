package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The files generate writes, relative to the kernels folder.
const (
	goFile     = "../gpu/kernels_gen.go"
	goTestFile = "../gpu/kernels_gen_test.go"
	emuFile    = "emu_kernels.h"
	testFile   = "kernels_gen_test.go"
)

// kernel is a KERNEL(name)(params) of a source file, with the first
// sentence of the comment above it.
type kernel struct {
	name, file, doc string
	params          []param
}

// param is a kernel's parameter: its name and C type, and how Go passes it.
type param struct {
	name, ctype string
	kind        kind
}

// kind is how a kernel argument crosses from Go: 8 bytes each, as the
// device reads them (a pointer; an int in the low 4 bytes or a long long; a
// real, float in the low 4 bytes or double; a double).
type kind int

const (
	pointer kind = iota
	integer
	realValue
	double
)

// goType is the Go type of an argument of kind k.
func (k kind) goType() string {
	switch k {
	case pointer:
		return "devicePtr"
	case integer:
		return "int"
	default:
		return "float64"
	}
}

// shared is a struct shared with Go: its fields, all 8 bytes, and its size.
type shared struct {
	name, file string
	bytes      int
	fields     []field
}

// field is a field of a shared struct: a pointer, a long long (integer) or
// a double.
type field struct {
	name, comment string
	kind          kind
}

// goType is the Go type of the field.
func (f field) goType() string {
	switch f.kind {
	case pointer:
		return "devicePtr"
	case integer:
		return "int64"
	}
	return "float64"
}

var (
	kernelDecl   = regexp.MustCompile(`(?m)((?:^//[^\n]*\n)*)^KERNEL\((\w+)\)\(([^)]*)\)`)
	structDecl   = regexp.MustCompile(`(?s)\nstruct (\w+) \{\n(.*?)\n\};`)
	sizeAssert   = regexp.MustCompile(`static_assert\(sizeof\((\w+)\) == (\d+),`)
	identifier   = regexp.MustCompile(`^[A-Za-z_]\w*$`)
	goKeywords   = []string{"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select", "struct", "switch", "type", "var"}
	launcherVars = []string{"ks", "cfg"}
)

// generate reads the kernel sources of dir and returns the generated files'
// contents by their paths relative to dir.
func generate(dir string) (map[string][]byte, error) {
	sources, err := filepath.Glob(filepath.Join(dir, "*.cu"))
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("no kernel sources (*.cu) in %s", dir)
	}
	headers, err := filepath.Glob(filepath.Join(dir, "*.cuh"))
	if err != nil {
		return nil, err
	}
	slices.Sort(sources)
	slices.Sort(headers)
	var kernels []kernel
	var structs []shared
	var files []string
	for _, path := range append(sources, headers...) {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		file := filepath.Base(path)
		if filepath.Ext(file) == ".cu" {
			files = append(files, file)
			ks, err := parseKernels(file, string(src))
			if err != nil {
				return nil, err
			}
			kernels = append(kernels, ks...)
		}
		ss, err := parseStructs(file, string(src))
		if err != nil {
			return nil, err
		}
		structs = append(structs, ss...)
	}
	goSrc, err := format.Source(writeGo(kernels, structs))
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w", goFile, err)
	}
	testSrc, err := format.Source(writeTest(kernels))
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w", testFile, err)
	}
	goTestSrc, err := format.Source(writeGoTest(structs))
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w", goTestFile, err)
	}
	return map[string][]byte{goFile: goSrc, goTestFile: goTestSrc, emuFile: writeEmu(files, kernels, structs), testFile: testSrc}, nil
}

// parseKernels returns the kernels that src, the source file file, defines.
func parseKernels(file, src string) ([]kernel, error) {
	var out []kernel
	for _, m := range kernelDecl.FindAllStringSubmatch(src, -1) {
		k := kernel{name: m[2], file: file, doc: firstSentence(m[1], m[2])}
		for _, p := range strings.Split(m[3], ",") {
			prm, err := parseParam(p)
			if err != nil {
				return nil, fmt.Errorf("%s: kernel %s: %w", file, k.name, err)
			}
			k.params = append(k.params, prm)
		}
		out = append(out, k)
	}
	return out, nil
}

// parseParam parses a parameter such as "const real* __restrict__ x".
func parseParam(p string) (param, error) {
	words := strings.Fields(strings.ReplaceAll(p, "*", " * "))
	var typ []string
	ptr := false
	for _, w := range words {
		switch w {
		case "const", "__restrict__":
		case "*":
			ptr = true
		default:
			typ = append(typ, w)
		}
	}
	if len(typ) < 2 {
		return param{}, fmt.Errorf("parameter %q has no name", strings.TrimSpace(p))
	}
	prm := param{name: typ[len(typ)-1], ctype: strings.Join(typ[:len(typ)-1], " ")}
	switch {
	case ptr:
		prm.kind = pointer
	case prm.ctype == "int" || prm.ctype == "long long":
		prm.kind = integer
	case prm.ctype == "real":
		prm.kind = realValue
	case prm.ctype == "double":
		prm.kind = double
	default:
		return param{}, fmt.Errorf("parameter %s: type %s is not a pointer, int, long long, real or double", prm.name, prm.ctype)
	}
	prm.name = camel(prm.name)
	if slices.Contains(goKeywords, prm.name) || slices.Contains(launcherVars, prm.name) {
		prm.name += "_"
	}
	return prm, nil
}

// firstSentence returns the first sentence of a kernel's comment, without
// the "name: " it starts with.
func firstSentence(comment, name string) string {
	var words []string
	for _, line := range strings.Split(comment, "\n") {
		words = append(words, strings.Fields(strings.TrimPrefix(line, "//"))...)
	}
	text := strings.TrimPrefix(strings.Join(words, " "), name+": ")
	if i := strings.Index(text, ". "); i >= 0 {
		text = text[:i]
	}
	return strings.TrimSuffix(text, ".")
}

// parseStructs returns the structs of src whose size it asserts.
func parseStructs(file, src string) ([]shared, error) {
	sizes := map[string]int{}
	for _, m := range sizeAssert.FindAllStringSubmatch(src, -1) {
		n, err := strconv.Atoi(m[2])
		if err != nil {
			return nil, err
		}
		sizes[m[1]] = n
	}
	var out []shared
	for _, m := range structDecl.FindAllStringSubmatch(src, -1) {
		bytes, ok := sizes[m[1]]
		if !ok {
			continue
		}
		delete(sizes, m[1])
		s := shared{name: m[1], file: file, bytes: bytes}
		for _, line := range strings.Split(m[2], "\n") {
			decl, comment, _ := strings.Cut(line, "//")
			decl = strings.TrimSpace(decl)
			if decl == "" {
				continue
			}
			fields, err := parseFields(decl, strings.TrimSpace(comment))
			if err != nil {
				return nil, fmt.Errorf("%s: struct %s: %w", file, s.name, err)
			}
			s.fields = append(s.fields, fields...)
		}
		if 8*len(s.fields) != s.bytes {
			return nil, fmt.Errorf("%s: struct %s: %d fields of 8 bytes, and its size is asserted as %d", file, s.name, len(s.fields), s.bytes)
		}
		out = append(out, s)
	}
	for name := range sizes {
		return nil, fmt.Errorf("%s: the size of %s is asserted, but it has no struct %s { ... }; here", file, name, name)
	}
	return out, nil
}

// parseFields parses a declaration such as "real *w, *b;" or "long long in, out;".
func parseFields(decl, comment string) ([]field, error) {
	decl, ok := strings.CutSuffix(decl, ";")
	if !ok {
		return nil, fmt.Errorf("%q: one declaration a line, ending in ;", decl)
	}
	parts := strings.Split(strings.ReplaceAll(decl, "*", " * "), ",")
	first := strings.Fields(parts[0])
	star := slices.Index(first, "*")
	typeEnd := len(first) - 1
	if star >= 0 {
		typeEnd = star
	}
	base := strings.Join(first[:typeEnd], " ")
	var out []field
	for i, part := range parts {
		words := strings.Fields(part)
		if i == 0 {
			words = first[typeEnd:]
		}
		f := field{comment: comment, kind: integer}
		if base == "double" {
			f.kind = double
		}
		for _, w := range words {
			if w == "*" {
				f.kind = pointer
			} else {
				f.name = w
			}
		}
		switch {
		case !identifier.MatchString(f.name) || slices.Contains(goKeywords, f.name):
			return nil, fmt.Errorf("%q: field %q is not a name Go can use", decl, f.name)
		case f.kind != pointer && base != "long long" && base != "double":
			return nil, fmt.Errorf("%q: field %s is a %s: fields shared with Go are pointers, long long or double", decl, f.name, base)
		}
		out = append(out, f)
	}
	return out, nil
}

// camel turns a C name into a Go one: gather_rows -> gatherRows.
func camel(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// exported returns camel(name) with a capital first letter.
func exported(name string) string {
	c := camel(name)
	return strings.ToUpper(c[:1]) + c[1:]
}

const header = "// Code generated by genkernels from kernels/*.cu; DO NOT EDIT.\n\n"

func writeGo(kernels []kernel, structs []shared) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("//go:build cuda || cudaemu\n\npackage gpu\n\n")
	if slices.ContainsFunc(kernels, func(k kernel) bool {
		return slices.ContainsFunc(k.params, func(p param) bool { return p.kind == double })
	}) {
		b.WriteString("import \"math\"\n\n")
	}
	b.WriteString("// kernelID numbers the kernels of kernels/*.cu.\ntype kernelID int\n\nconst (\n")
	for i, k := range kernels {
		fmt.Fprintf(&b, "\t// kernel%s is %s of %s.\n\tkernel%[1]s", exported(k.name), k.name, k.file)
		if i == 0 {
			b.WriteString(" kernelID = iota")
		}
		b.WriteString("\n")
	}
	b.WriteString("\t// kernelCount is how many kernels there are.\n\tkernelCount\n)\n\n")
	b.WriteString("// kernelNames are the kernels' names, without their precision suffix.\nvar kernelNames = [kernelCount]string{\n")
	for _, k := range kernels {
		fmt.Fprintf(&b, "\tkernel%s: %q,\n", exported(k.name), k.name)
	}
	b.WriteString("}\n")
	for _, k := range kernels {
		fmt.Fprintf(&b, "\n// %s launches %s (%s): %s.\n", camel(k.name), k.name, k.file, k.doc)
		fmt.Fprintf(&b, "func (ks *kernelSet) %s(cfg launchConfig", camel(k.name))
		for i, p := range k.params {
			if i+1 < len(k.params) && k.params[i+1].kind.goType() == p.kind.goType() {
				fmt.Fprintf(&b, ", %s", p.name)
			} else {
				fmt.Fprintf(&b, ", %s %s", p.name, p.kind.goType())
			}
		}
		fmt.Fprintf(&b, ") error {\n\treturn ks.launch(kernel%s, cfg", exported(k.name))
		for _, p := range k.params {
			switch p.kind {
			case pointer:
				fmt.Fprintf(&b, ", uint64(%s)", p.name)
			case integer:
				fmt.Fprintf(&b, ", uint64(int64(%s))", p.name)
			case realValue:
				fmt.Fprintf(&b, ", ks.real(%s)", p.name)
			case double:
				fmt.Fprintf(&b, ", math.Float64bits(%s)", p.name)
			}
		}
		b.WriteString(")\n}\n")
	}
	for _, s := range structs {
		fmt.Fprintf(&b, "\n// %s is struct %s of %s, as the device reads it.\ntype %[1]s struct {\n", camel(s.name), s.name, s.file)
		for _, f := range s.fields {
			fmt.Fprintf(&b, "\t%s %s", camel(f.name), f.goType())
			if f.comment != "" {
				fmt.Fprintf(&b, " // %s", f.comment)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "}\n\n// %sBytes is sizeof(%s), as %s asserts it.\nconst %[1]sBytes = %[4]d\n", camel(s.name), s.name, s.file, s.bytes)
	}
	return b.Bytes()
}

func writeEmu(files []string, kernels []kernel, structs []shared) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Replace(header, "\n\n", "\n\n//go:build cudaemu\n\n", 1))
	b.WriteString(`// The kernel sources of one precision, compiled as C++ for the emulator:
// each kernel registered under its CUDA name (sgd_steps_f32, ...), and the
// layout of each struct shared with Go. emu_f32.cc and emu_f64.cc include
// this with REAL and SUFFIX defined, as gen.sh compiles the fatbins.
#include "emu.h"

#include <cstddef>

`)
	for _, f := range files {
		fmt.Fprintf(&b, "#include %q\n", f)
	}
	b.WriteString("\n#define STR2(x) #x\n#define STR(x) STR2(x)\n")
	b.WriteString("#define REGISTER(name) static bool CAT(registered_, name) = emu::add(STR(CAT(name, SUFFIX)), &CAT(name, SUFFIX));\n")
	b.WriteString("#define LAYOUT(name, ...) static bool CAT(layout_, name) = emu::add_layout(STR(CAT(name, SUFFIX)), sizeof(name), {__VA_ARGS__});\n\n")
	for _, k := range kernels {
		fmt.Fprintf(&b, "REGISTER(%s)\n", k.name)
	}
	for _, s := range structs {
		var offsets []string
		for _, f := range s.fields {
			offsets = append(offsets, fmt.Sprintf("offsetof(%s, %s)", s.name, f.name))
		}
		fmt.Fprintf(&b, "LAYOUT(%s, %s)\n", s.name, strings.Join(offsets, ", "))
	}
	return b.Bytes()
}

func writeTest(kernels []kernel) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("package kernels\n\n// entries are the kernels of each source file, without their precision suffix.\nvar entries = map[string][]string{\n")
	var family string
	for _, k := range kernels {
		f := strings.TrimSuffix(k.file, ".cu")
		if f != family {
			if family != "" {
				b.WriteString("},\n")
			}
			fmt.Fprintf(&b, "\t%q: {", f)
			family = f
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", k.name)
	}
	b.WriteString("},\n}\n")
	return b.Bytes()
}

func writeGoTest(structs []shared) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("//go:build cuda || cudaemu\n\npackage gpu\n\n")
	b.WriteString("// sharedStructs are the structs shared with the kernels, by their C names,\n// with their sizes as the sources assert them.\n")
	b.WriteString("var sharedStructs = map[string]struct {\n\tvalue any\n\tbytes uintptr\n}{\n")
	for _, s := range structs {
		fmt.Fprintf(&b, "\t%q: {%s{}, %sBytes},\n", s.name, camel(s.name), camel(s.name))
	}
	b.WriteString("}\n")
	return b.Bytes()
}
