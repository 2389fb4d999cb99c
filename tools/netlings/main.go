// Command netlings is the workbook's checker: it lists the lessons, checks
// one, watches your edits, prints hints and renders the book. Run it from
// the workbook's root: go run ./tools/netlings help
package main

import (
	"os"

	"netlings/tools/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
