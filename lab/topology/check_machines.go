package topology

import (
	"fmt"
	"slices"
)

func (c *checker) services(path string, ss []Service) {
	ports := map[int]bool{}
	for i, s := range ss {
		sp := fmt.Sprintf("%s[%d]", path, i)
		if ports[s.Port] && s.Port != 0 {
			c.add(sp+".Port", "port %d is already served", s.Port)
		}
		ports[s.Port] = true
		if s.ProxyProtocol && s.Type != "ssh" {
			c.add(sp+".ProxyProtocol", "only an ssh service unwraps Proxy Protocol")
		}
		if s.Type == "ssh" && slices.ContainsFunc(ss[:i], func(o Service) bool { return o.Type == "ssh" }) {
			c.add(sp+".Type", "one ssh service a machine")
		}
	}
}

func (c *checker) internet() {
	names := map[string]int{}
	for name := range c.instances {
		names[name] = -1
	}
	for i, cl := range c.t.Internet.Clients {
		p := fmt.Sprintf("Internet.Clients[%d]", i)
		c.unique(names, cl.Name, i, p+".Name", "machine")
		if c.hostOnLink(p+".IpAddress", cl.IpAddress) {
			c.address(p+".IpAddress", cl.IpAddress.Addr())
		}
	}
	for i, s := range c.t.Internet.Servers {
		p := fmt.Sprintf("Internet.Servers[%d]", i)
		c.unique(names, s.Name, i, p+".Name", "machine")
		if c.hostOnLink(p+".IpAddress", s.IpAddress) {
			c.address(p+".IpAddress", s.IpAddress.Addr())
		}
		for j, sv := range s.Services {
			if sv.Type == "ssh" {
				c.add(fmt.Sprintf("%s.Services[%d].Type", p, j), "internet servers serve http-echo or tcp-echo; ssh runs on instances")
			}
		}
		c.services(p+".Services", s.Services)
	}
}
