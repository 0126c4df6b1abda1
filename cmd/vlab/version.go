package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print vlab's version and the versions of the libraries it is built with",
		Example: "  vlab version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bi, ok := debug.ReadBuildInfo()
			if !ok {
				fmt.Println("vlab (unknown build)")
				return nil
			}
			fmt.Printf("vlab %s (%s)\n", bi.Main.Version, bi.GoVersion)
			for _, d := range bi.Deps {
				// The netstack and the SSH implementation: the two that shape
				// what the lab does.
				if strings.HasPrefix(d.Path, "gvisor.dev/") || d.Path == "golang.org/x/crypto" {
					fmt.Printf("  %s %s\n", d.Path, d.Version)
				}
			}
			return nil
		},
	}
}
