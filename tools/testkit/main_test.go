package testkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckerTip_NamesTheLessonOfTheFolder(t *testing.T) {
	assert.Equal(t, "netlings: for a short report of this lesson, with the first failure in plain words, run: make check-lesson N=2",
		checkerTip("/home/learner/netlings/lessons/02_echo"))
	assert.Contains(t, checkerTip("/x/lessons/13_http_parser"), "N=13")
	assert.Empty(t, checkerTip("/x/tools/testkit"), "not a lesson: nothing to say")
}
