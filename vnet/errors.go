package vnet

import "errors"

// ErrClosed is returned by operations on a closed network or host.
var ErrClosed = errors.New("vnet: network closed")
