package catalog

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// The hints live here, not in the book renderer, so that `netlings hint`
// (and the checker binary, which has no renderer) can read them.

// A translation's hints heading keeps the English id: "## 提示 {#hints}".
var hintsHeading = regexp.MustCompile(`^##\s+(Hints\s*#*|[^{]*\{#hints\})\s*$`)

// Hints returns the body of the chapter's "## Hints" section as plain text:
// the Markdown source up to the next heading of level 1 or 2, with links
// written as "text (url)".
func Hints(chapterPath string) (string, error) {
	f, err := os.Open(chapterPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var (
		in, found bool
		fence     string
		out       []string
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if fence == "" && !in && hintsHeading.MatchString(line) {
			in, found = true, true
			continue
		}
		if fence == "" && in && (strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "## ")) {
			break
		}
		if f := fenceMarker(trimmed); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(trimmed, fence) && strings.TrimLeft(trimmed, fence[:1]) == "":
				fence = ""
			}
		}
		if in {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("%s has no \"## Hints\" section", chapterPath)
	}
	return plainText(strings.TrimSpace(strings.Join(out, "\n"))), nil
}

func fenceMarker(line string) string {
	for _, c := range []string{"```", "~~~"} {
		if strings.HasPrefix(line, c) {
			n := len(line) - len(strings.TrimLeft(line, c[:1]))
			return strings.Repeat(c[:1], n)
		}
	}
	return ""
}

var mdLink = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)

func plainText(md string) string {
	return mdLink.ReplaceAllString(md, "$1 ($2)")
}
