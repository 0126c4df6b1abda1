package shell

import (
	"strings"

	"mvdan.cc/sh/v3/expand"
)

// overlay is an environment with some variables set over another's: what
// sudo gives the command it runs.
type overlay struct {
	parent expand.Environ
	vars   map[string]string
}

func (e overlay) Get(name string) expand.Variable {
	if v, ok := e.vars[name]; ok {
		return expand.Variable{Set: true, Exported: true, Kind: expand.String, Str: v}
	}
	if e.parent == nil {
		return expand.Variable{}
	}
	return e.parent.Get(name)
}

func (e overlay) Each(f func(string, expand.Variable) bool) {
	if e.parent != nil {
		stopped := false
		e.parent.Each(func(name string, vr expand.Variable) bool {
			if _, over := e.vars[name]; over {
				return true
			}
			if !f(name, vr) {
				stopped = true
				return false
			}
			return true
		})
		if stopped {
			return
		}
	}
	for k, v := range e.vars {
		if !f(k, expand.Variable{Set: true, Exported: true, Kind: expand.String, Str: v}) {
			return
		}
	}
}

// homeEnviron answers the interpreter's "HOME name" lookups, which expand
// ~name, from the instance's own accounts (the interpreter would ask the
// host's user database); a name the instance has no account for stays
// ~name, as bash leaves it.
type homeEnviron struct {
	expand.Environ
	homes map[string]string
}

func (e homeEnviron) Get(name string) expand.Variable {
	if user, ok := strings.CutPrefix(name, "HOME "); ok {
		home, ok := e.homes[user]
		if !ok {
			home = "~" + user
		}
		return expand.Variable{Set: true, Kind: expand.String, Str: home}
	}
	return e.Environ.Get(name)
}
