package wschat_test

import _ "embed"

// chatPage is the page the chat serves at /. It lives next to the tests
// (chat.html) and is handed to your Chat as Chat.Page: the tests run your
// code and the reference solution from the same lesson folder, and only Go
// files can be swapped between the two, so the page stays on the tests' side.
//
//go:embed chat.html
var chatPage []byte
