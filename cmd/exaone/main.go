// Command exaone converts, inspects and runs EXAONE 4.0 models stored as GGUF.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// commands is filled by the init functions of the files that define each
// subcommand, so that adding a command never needs an edit here.
var commands []*cli.Command

func main() {
	app := &cli.App{
		Name:                   "exaone",
		Usage:                  "run EXAONE 4.0 language models on the CPU",
		Commands:               commands,
		UseShortOptionHandling: false,
		HideHelpCommand:        true,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "exaone:", err)
		os.Exit(1)
	}
}
