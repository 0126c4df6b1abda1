// Package vfs is an instance's filesystem: a tree in memory, private to the
// instance and kept for the lab's lifetime, with Unix owners and modes, a
// size cap that answers "No space left on device" instead of growing the
// host's memory, device files (/dev/null, /dev/zero, /dev/urandom) and
// files whose content is generated when they are opened (/proc). Nothing in
// it touches the host's own files.
package vfs
