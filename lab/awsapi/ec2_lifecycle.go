package awsapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vlab-sim/vlab/target"
)

// ec2InstanceStateChange is one item of StopInstances', StartInstances'
// and TerminateInstances' instancesSet (EC2 API Reference,
// "InstanceStateChange").
type ec2InstanceStateChange struct {
	InstanceID    string        `xml:"instanceId"`
	CurrentState  ec2StateShape `xml:"currentState"`
	PreviousState ec2StateShape `xml:"previousState"`
}

type ec2StateShape struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

func stateShape(s target.State) ec2StateShape { return ec2StateShape{s.Code, s.Name} }

// lifecycleInstances resolves InstanceId.N: every id must name an
// instance, or the request fails as a whole (EC2 API Reference, "Error
// codes": InvalidInstanceID.NotFound).
func (c *call) lifecycleInstances() ([]*target.Instance, *apiError) {
	ids := c.list("InstanceId")
	if len(ids) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter InstanceId")
	}
	var out []*target.Instance
	var missing []string
	for _, id := range ids {
		in := c.instance(id)
		if in == nil {
			missing = append(missing, id)
			continue
		}
		out = append(out, in)
	}
	switch {
	case len(missing) == 1:
		return nil, badRequest("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", missing[0])
	case len(missing) > 1:
		return nil, badRequest("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
	}
	if c.params.Get("DryRun") == "true" {
		return nil, errDryRun // the ids valid: see checksDryRun
	}
	return out, nil
}

// checksDryRun names the EC2 actions that answer DryRun themselves, once
// their instance ids are known valid; the dispatch answers it for the rest.
var checksDryRun = map[string]bool{"StopInstances": true, "StartInstances": true, "TerminateInstances": true, "RebootInstances": true}

// incorrectState is EC2's refusal of a transition the instance's state does
// not allow: the request changes nothing (EC2 API Reference, "Error
// codes": IncorrectInstanceState).
func incorrectState(err error) *apiError {
	var se *target.StateError
	if errors.As(err, &se) {
		return badRequest("IncorrectInstanceState", "%s", se.Error())
	}
	return badRequest("InternalError", "%v", err)
}

// stateChanges runs change on every instance, after checking that none
// refuses it (allowed), and answers with their state changes.
func (c *call) stateChanges(verb string, allowed func(target.State) bool, change func(*target.Instance) (prev, cur target.State, err error)) (any, *apiError) {
	ins, aerr := c.lifecycleInstances()
	if aerr != nil {
		return nil, aerr
	}
	for _, in := range ins {
		if st := in.State(); !allowed(st) {
			return nil, incorrectState(&target.StateError{ID: in.ID(), State: st, Verb: verb})
		}
	}
	var out struct {
		Instances []ec2InstanceStateChange `xml:"instancesSet>item"`
	}
	for _, in := range ins {
		prev, cur, err := change(in)
		c.logChange(fmt.Sprintf("%s %s -> %s", in.ID(), prev, cur), err)
		if err != nil {
			return nil, incorrectState(err)
		}
		out.Instances = append(out.Instances, ec2InstanceStateChange{InstanceID: in.ID(), CurrentState: stateShape(cur), PreviousState: stateShape(prev)})
	}
	return out, nil
}

// stopInstances stops instances; Force=true stops them as at a power loss
// (EC2 API Reference, "StopInstances").
func stopInstances(c *call) (any, *apiError) {
	force := c.params.Get("Force") == "true"
	return c.stateChanges("stopped", func(s target.State) bool {
		return s == target.Running || s == target.Stopping || s == target.Stopped
	}, func(in *target.Instance) (target.State, target.State, error) { return in.Stop(force) })
}

// startInstances starts stopped instances (EC2 API Reference,
// "StartInstances").
func startInstances(c *call) (any, *apiError) {
	return c.stateChanges("started", func(s target.State) bool {
		return s == target.Stopped || s == target.Pending || s == target.Running
	}, (*target.Instance).Start)
}

// terminateInstances terminates instances (EC2 API Reference,
// "TerminateInstances").
func terminateInstances(c *call) (any, *apiError) {
	return c.stateChanges("terminated", func(target.State) bool { return true }, (*target.Instance).Terminate)
}

// rebootInstances reboots running instances; EC2 answers true and the
// instances stay running (EC2 API Reference, "RebootInstances").
func rebootInstances(c *call) (any, *apiError) {
	ins, aerr := c.lifecycleInstances()
	if aerr != nil {
		return nil, aerr
	}
	for _, in := range ins {
		if st := in.State(); st != target.Running {
			return nil, incorrectState(&target.StateError{ID: in.ID(), State: st, Verb: "rebooted"})
		}
	}
	for _, in := range ins {
		err := in.Reboot()
		c.logChange(in.ID()+" reboot", err)
		if err != nil {
			return nil, incorrectState(err)
		}
	}
	return struct {
		Return bool `xml:"return"`
	}{true}, nil
}
