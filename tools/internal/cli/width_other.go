//go:build !unix

package cli

import "io"

// terminalWidth is 0 (unknown) where there is no TIOCGWINSZ; COLUMNS, when
// set, still counts.
func terminalWidth(w io.Writer) int { return 0 }
