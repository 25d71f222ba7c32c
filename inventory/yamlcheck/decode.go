package yamlcheck

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Decode fills out (a pointer) from n the way yaml.Node.Decode would, but
// through the walker: a struct's keys are its fields' yaml tags (declared
// once, on the struct), unknown and repeated keys and wrong shapes are
// reported in the walker's wording with file:line, and every problem is
// reported, not only the first. Values (scalars, and fields of type any)
// are converted by yaml.v3 itself, so they read exactly as with
// yaml.Unmarshal; a null value leaves the zero value. An int field tagged
// `yamlcheck:"line"` receives the line of the struct's mapping. Tag options
// (",omitempty", ",inline") are not interpreted.
func (w *Walker) Decode(n *yaml.Node, field string, out any) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		panic("yamlcheck: Decode needs a non-nil pointer")
	}
	w.decode(n, field, v.Elem())
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
)

func (w *Walker) decode(n *yaml.Node, field string, v reflect.Value) {
	r := w.Resolve(n, field)
	if r == nil || IsNull(r) {
		return
	}
	t := v.Type()
	switch {
	case t == timeType || t == durationType:
		w.leaf(r, field, v)
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		w.decode(r, field, p.Elem())
		v.Set(p)
	case t.Kind() == reflect.Struct:
		w.decodeStruct(r, field, v)
	case t.Kind() == reflect.Slice:
		items, ok := w.Sequence(r, field)
		if !ok {
			return
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, item := range items {
			w.decode(item, Index(field, i), s.Index(i))
		}
		v.Set(s)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		es, ok := w.Entries(r, field)
		if !ok {
			return
		}
		m := reflect.MakeMapWithSize(t, len(es))
		for _, e := range es {
			ev := reflect.New(t.Elem()).Elem()
			w.decode(e.Val, Join(field, e.Name), ev)
			m.SetMapIndex(reflect.ValueOf(e.Name).Convert(t.Key()), ev)
		}
		v.Set(m)
	case t.Kind() == reflect.Interface:
		if w.charge(r, field); !w.exhausted {
			w.leaf(r, field, v)
		}
	default:
		w.leaf(r, field, v)
	}
}

func (w *Walker) decodeStruct(r *yaml.Node, field string, v reflect.Value) {
	t := v.Type()
	var keys []Key
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		if sf.Tag.Get("yamlcheck") == "line" {
			v.Field(i).SetInt(int64(r.Line))
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name) // yaml.v3's default
		}
		fv := v.Field(i)
		keys = append(keys, Func(name, func(e Entry, f string) { w.decode(e.Val, f, fv) }))
	}
	if r.Kind != yaml.MappingNode {
		w.NotMapping(r, field)
		return
	}
	w.Fields(r, field, keys...)
}

// leaf converts a scalar (or, for any, a whole subtree) with yaml.v3.
func (w *Walker) leaf(r *yaml.Node, field string, v reflect.Value) {
	t := v.Type()
	want := wantOf(t)
	if r.Kind != yaml.ScalarNode && t.Kind() != reflect.Interface {
		w.C.Add(r.Line, field, "give a single value", "must be %s, not %s", want, Describe(r))
		return
	}
	p := reflect.New(t)
	if err := r.Decode(p.Interface()); err != nil {
		switch {
		case strings.Contains(err.Error(), "excessive aliasing"):
			w.C.Add(r.Line, field, "do not nest YAML aliases that expand to huge trees", "expands to too many YAML nodes through aliases")
		case isNumber(t) && isInteger(r.Value):
			w.C.Add(r.Line, field, "use a smaller value", "%s is out of range", Clip(r.Value))
		case r.Kind == yaml.ScalarNode:
			w.C.Add(r.Line, field, "", "must be %s, not %q", want, Clip(r.Value))
		default:
			w.C.Add(r.Line, field, "", "must be %s, not %s", want, Describe(r))
		}
		return
	}
	v.Set(p.Elem())
}

// charge walks a subtree that yaml.v3 converts at once, so its aliases
// count against the node budget too.
func (w *Walker) charge(n *yaml.Node, field string) {
	r := w.Resolve(n, field)
	if r == nil {
		return
	}
	for _, c := range r.Content {
		w.charge(c, field)
	}
}

// isInteger reports whether s is written as a whole number, however large.
func isInteger(s string) bool {
	_, err := strconv.ParseInt(s, 0, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

func isNumber(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func wantOf(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 60s or 1m30s"
	case t == timeType:
		return "a date and time such as 2026-03-01T10:00:00Z"
	case isNumber(t):
		return "a whole number"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Interface:
		return "a value"
	}
	return fmt.Sprintf("a %s value", t.Kind())
}
