package topology

import (
	"bytes"
	"net/netip"
	"reflect"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Marshal writes t as a topology file: keys in the order of the types,
// fields left at their zero value left out, short lists of names inline.
// Parse reads it back to the same topology.
func Marshal(t *Topology) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(encode(reflect.ValueOf(t).Elem())); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func encode(v reflect.Value) *yaml.Node {
	switch t := v.Type(); {
	case t == prefixType:
		return scalar(v.Interface().(netip.Prefix).String(), "!!str")
	case t == addrType:
		return scalar(v.Interface().(netip.Addr).String(), "!!str")
	case t.Kind() == reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for i := 0; i < t.NumField(); i++ {
			f := v.Field(i)
			if f.IsZero() || (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0 {
				continue
			}
			n.Content = append(n.Content, scalar(t.Field(i).Tag.Get("yaml"), "!!str"), encode(f))
		}
		return n
	case t.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := 0; i < v.Len(); i++ {
			n.Content = append(n.Content, encode(v.Index(i)))
		}
		if t.Elem().Kind() == reflect.String {
			n.Style = yaml.FlowStyle // SecurityGroups: [web, admin]
		}
		return n
	case t.Kind() == reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		for _, k := range keys {
			n.Content = append(n.Content, scalar(k, "!!str"), scalar(v.MapIndex(reflect.ValueOf(k)).String(), "!!str"))
		}
		return n
	case t.Kind() == reflect.String:
		return scalar(v.String(), "!!str")
	case t.Kind() == reflect.Int:
		return scalar(strconv.FormatInt(v.Int(), 10), "!!int")
	case t.Kind() == reflect.Uint64:
		return scalar(strconv.FormatUint(v.Uint(), 10), "!!int")
	case t.Kind() == reflect.Bool:
		return scalar(strconv.FormatBool(v.Bool()), "!!bool")
	}
	panic("topology: no encoding for " + v.Type().String())
}

func scalar(s, tag string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}
}
