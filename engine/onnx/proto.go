package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The messages of onnx/onnx.proto3 that an exported model uses, each
// written by a function that returns its encoding. Field numbers are those
// of onnx.proto3; unset fields are left out, as proto3 does.

// Element types (TensorProto.DataType).
const (
	elemFloat  = 1
	elemBool   = 9
	elemDouble = 11
)

// Attribute types (AttributeProto.AttributeType).
const attrTypeInt = 2

func appendString(b []byte, field protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, field protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendInt(b []byte, field protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// entry is a StringStringEntryProto: key 1, value 2.
func entry(key, value string) []byte {
	return appendString(appendString(nil, 1, key), 2, value)
}

// opsetID is an OperatorSetIdProto: domain 1 ("" is ai.onnx), version 2.
func opsetID(domain string, version int64) []byte {
	return appendInt(appendString(nil, 1, domain), 2, version)
}

// intAttribute is an AttributeProto of type INT: name 1, i 3, type 20.
func intAttribute(name string, v int64) []byte {
	b := appendString(nil, 1, name)
	b = protowire.AppendTag(b, 3, protowire.VarintType) // i, written even when 0
	b = protowire.AppendVarint(b, uint64(v))
	return appendInt(b, 20, attrTypeInt)
}

// node is a NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
func node(op, name string, inputs, outputs []string, attrs ...[]byte) []byte {
	var b []byte
	for _, in := range inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, in)
	}
	for _, out := range outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, out)
	}
	b = appendString(b, 3, name)
	b = appendString(b, 4, op)
	for _, a := range attrs {
		b = appendMessage(b, 5, a)
	}
	return b
}

// tensor is a TensorProto holding values little-endian in raw_data: dims 1,
// data_type 2, name 8, raw_data 9. elem is elemFloat (values rounded to
// float32) or elemDouble.
func tensor(name string, elem int32, dims []int, values []float64) []byte {
	var b []byte
	for _, d := range dims {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = appendInt(b, 2, int64(elem))
	b = appendString(b, 8, name)
	var raw []byte
	for _, v := range values {
		if elem == elemFloat {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
		} else {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
		}
	}
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	return protowire.AppendBytes(b, raw)
}

// dim is a TensorShapeProto.Dimension: a size, or a name for a size given
// at run time.
type dim struct {
	size  int
	param string
}

// valueInfo is a ValueInfoProto of a tensor: name 1, type 2 (a TypeProto
// whose tensor_type 1 is a TypeProto.Tensor: elem_type 1, shape 2, a
// TensorShapeProto of dims 1, each dim_value 1 or dim_param 2), doc_string 3.
func valueInfo(name, doc string, elem int32, dims ...dim) []byte {
	var shape []byte
	for _, d := range dims {
		var db []byte
		if d.param != "" {
			db = appendString(nil, 2, d.param)
		} else {
			db = protowire.AppendTag(nil, 1, protowire.VarintType)
			db = protowire.AppendVarint(db, uint64(d.size))
		}
		shape = appendMessage(shape, 1, db)
	}
	tensorType := appendMessage(appendInt(nil, 1, int64(elem)), 2, shape)
	typ := appendMessage(nil, 1, tensorType)
	return appendString(appendMessage(appendString(nil, 1, name), 2, typ), 3, doc)
}

// graph is a GraphProto: node 1, name 2, initializer 5, doc_string 10,
// input 11, output 12.
type graph struct {
	name, doc       string
	nodes, inits    [][]byte
	inputs, outputs [][]byte
}

func (g *graph) encode() []byte {
	var b []byte
	for _, n := range g.nodes {
		b = appendMessage(b, 1, n)
	}
	b = appendString(b, 2, g.name)
	for _, t := range g.inits {
		b = appendMessage(b, 5, t)
	}
	b = appendString(b, 10, g.doc)
	for _, v := range g.inputs {
		b = appendMessage(b, 11, v)
	}
	for _, v := range g.outputs {
		b = appendMessage(b, 12, v)
	}
	return b
}

// model is a ModelProto: ir_version 1, producer_name 2, producer_version 3,
// doc_string 6, graph 7, opset_import 8, metadata_props 14.
type model struct {
	irVersion                 int64
	producer, producerVersion string
	doc                       string
	graph                     []byte
	opsets                    [][]byte
	metadata                  [][]byte
}

func (m *model) encode() []byte {
	b := appendInt(nil, 1, m.irVersion)
	b = appendString(b, 2, m.producer)
	b = appendString(b, 3, m.producerVersion)
	b = appendString(b, 6, m.doc)
	b = appendMessage(b, 7, m.graph)
	for _, o := range m.opsets {
		b = appendMessage(b, 8, o)
	}
	for _, e := range m.metadata {
		b = appendMessage(b, 14, e)
	}
	return b
}
