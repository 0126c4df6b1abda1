package topology_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vlab-sim/vlab/lab/topology"
)

const schemaFile = "../../examples/vlab.schema.json"

// The schema in the repository is the one the types generate; after a
// change to them: go run ./cmd/vlab validate --print-schema > examples/vlab.schema.json
func TestSchemaFileIsCurrent(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	assert.Equal(t, string(topology.Schema()), string(data))
}

// compileSchema loads the schema file with an independent validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(schemaFile)
	require.NoError(t, err)
	return s
}

// asJSON reads YAML as the JSON value a schema validator checks.
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(src, &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return inst
}

// Every example validates against the schema.
func TestExamplesMatchTheSchema(t *testing.T) {
	s := compileSchema(t)
	for f, data := range examples(t) {
		assert.NoError(t, s.Validate(asJSON(t, data)), f)
	}
	assert.NoError(t, s.Validate(asJSON(t, []byte(base))), "base")
}

// The schema refuses what Parse refuses on its own terms: unknown keys,
// wrong types, values out of range or not in the list.
func TestSchemaRefuses(t *testing.T) {
	s := compileSchema(t)
	for _, r := range [][2]string{
		{"    InternetGateway: igw", "    InternetGateway: igw\n    Colour: blue"},
		{"      - Port: 80\n", "      - Port: 70000\n"},
		{"  - Name: lb\n", "  - Name: lb\n    Scheme: public\n"},
		{"PrivateIpAddress: 10.0.1.10", "PrivateIpAddress: 10.0.1"},
		{"    Port: 80\n    VpcId: v", "    Port: 80"},
	} {
		src := strings.Replace(base, r[0], r[1], 1)
		require.NotEqual(t, base, src)
		assert.Error(t, s.Validate(asJSON(t, []byte(src))), r[1])
		_, err := topology.Parse("lab.yaml", []byte(src))
		assert.Error(t, err, r[1])
	}
}
