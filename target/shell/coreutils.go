package shell

// coreutils are the text and file utilities, over the instance's
// filesystem.
func coreutils() map[string]Command {
	return map[string]Command{}
}
