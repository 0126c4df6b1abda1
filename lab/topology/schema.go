package topology

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// SchemaID is the schema's $id.
const SchemaID = "https://github.com/vlab-sim/vlab/examples/vlab.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of a topology file,
// generated from the types' tags, so the schema and Parse cannot drift
// apart. The repository keeps it as examples/vlab.schema.json, where
// editors with a YAML language server pick it up. Parse checks more than
// the schema can say (names that must exist, overlapping blocks, addresses
// inside their subnets).
func Schema() []byte {
	s := schemaOf(reflect.TypeFor[Topology](), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaID
	s["title"] = "vlab topology"
	s["description"] = "A whole vlab lab: VPCs, subnets, route tables, gateways, security groups, network ACLs, instances, load balancers, target groups, internet clients and servers, flow logs. Field names follow AWS's API and CloudFormation; resources refer to each other by name."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	return append(b, '\n')
}

func schemaOf(t reflect.Type, doc string) map[string]any {
	s := map[string]any{}
	if doc != "" {
		s["description"] = doc
	}
	switch {
	case t == prefixType:
		s["type"] = "string"
		s["pattern"] = `^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$`
	case t == addrType:
		s["type"] = "string"
		s["format"] = "ipv4"
	case t.Kind() == reflect.Struct:
		s["type"] = "object"
		s["additionalProperties"] = false
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key := f.Tag.Get("yaml")
			fs := schemaOf(f.Type, f.Tag.Get("doc"))
			if e := f.Tag.Get("enum"); e != "" {
				delete(fs, "type")
				var vals []any
				for _, v := range strings.Split(e, ",") {
					if f.Type.Kind() == reflect.String {
						vals = append(vals, v)
					}
					// YAML reads -1 and 60 as numbers.
					if n, err := strconv.Atoi(v); err == nil {
						vals = append(vals, n)
					}
				}
				fs["enum"] = vals
			}
			if lo, hi, ok := bounds(f); ok {
				fs["minimum"], fs["maximum"] = lo, hi
			}
			if key == "HealthCheckPort" {
				fs["type"] = []string{"string", "integer"}
			}
			props[key] = fs
			if f.Tag.Get("required") == "true" {
				required = append(required, key)
			}
		}
		s["properties"] = props
		if len(required) > 0 {
			s["required"] = required
		}
	case t.Kind() == reflect.Slice:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem(), "")
	case t.Kind() == reflect.Map:
		s["type"] = "object"
		s["additionalProperties"] = map[string]any{"type": []string{"string", "number", "boolean"}}
	case t.Kind() == reflect.String:
		s["type"] = "string"
	case t.Kind() == reflect.Int:
		s["type"] = "integer"
	case t.Kind() == reflect.Uint64:
		s["type"] = "integer"
		s["minimum"] = 0
	case t.Kind() == reflect.Bool:
		s["type"] = "boolean"
	default:
		panic("topology: no schema for " + t.String())
	}
	return s
}
