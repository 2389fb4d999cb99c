package wschat_test

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	chat "netlings/lessons/17_websocket_chat"
	"netlings/tools/testkit"
)

// The tests in this file follow the categories of the Autobahn testsuite
// (https://github.com/crossbario/autobahn-testsuite), the conformance suite
// WebSocket implementations are measured with. Each case opens a fresh
// connection to your EchoServer, sends frames byte by byte from the raw
// client, and checks what comes back. The case ids are Autobahn's.

type autobahnCase struct {
	id, name string
	run      func(c *testkit.WSClient)
}

// Opcodes, as the raw client writes them.
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// fr is a masked client frame.
func fr(op byte, fin bool, payload []byte) testkit.Frame {
	return testkit.Frame{Fin: fin, Op: op, Masked: true, Payload: payload}
}

func runAutobahn(t *testing.T, cases []autobahnCase) {
	srv := httptest.NewServer(chat.EchoServer{MessageLimit: 2 << 20})
	t.Cleanup(srv.Close)
	failed := 0
	for _, tc := range cases {
		ok := t.Run(tc.id+" "+tc.name, func(t *testing.T) {
			tc.run(dialRaw(t, srv))
		})
		// A case that hangs costs its 5 s deadline: stop early rather than
		// make you wait for every case of a category that is not there yet.
		if !ok {
			if failed++; failed == 3 {
				t.Fatalf("stopping after 3 failed cases; fix those first")
			}
		}
	}
}

// echoCase sends one message as a single frame and expects it back.
func echoCase(id, name string, op byte, payload []byte, chop int) autobahnCase {
	return autobahnCase{id, name, func(c *testkit.WSClient) {
		if chop > 0 {
			c.SendChopped(fr(op, true, payload), chop)
		} else {
			c.SendFrame(fr(op, true, payload))
		}
		if len(payload) == 0 {
			expectEmptyEcho(c, op)
		} else {
			c.Expect(op, payload, "the echo")
		}
		c.CloseCleanly("closing after the echo")
	}}
}

// expectEmptyEcho waits a short while for the echo of an empty message:
// the usual mistake sends nothing at all, and should not cost a long wait.
func expectEmptyEcho(c *testkit.WSClient, op byte) {
	c.T.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	f, err := c.ReadFrame()
	if testkit.IsTimeout(err) {
		c.T.Fatalf("an empty message was not echoed within 2s: WriteMessage must send an empty message as one frame " +
			"(FIN set, the message's opcode, no payload); a loop `for len(p) > 0` sends nothing for it " +
			"(or does ReadMessage wait for a payload that never comes?)")
	}
	require.NoError(c.T, err, "waiting for the echo of an empty message")
	require.Equal(c.T, op, f.Op, "the echo of an empty message has the message's opcode")
	require.True(c.T, f.Fin, "an empty message is one frame, with FIN set")
	require.Empty(c.T, f.Payload, "the echo of an empty message is empty")
	c.Conn.SetReadDeadline(time.Now().Add(testkit.IOTimeout))
}

// failCase sends frames and expects the connection to be failed with code.
func failCase(id, name string, code uint16, frames ...testkit.Frame) autobahnCase {
	return autobahnCase{id, name, func(c *testkit.WSClient) {
		c.SendAll(frames...)
		c.ExpectClose(code, name)
	}}
}

func TestAutobahn1_FramingEchoesTextAndBinary(t *testing.T) {
	var cases []autobahnCase
	for i, n := range []int{0, 125, 126, 127, 128, 65535, 65536} {
		id := string(rune('1' + i))
		cases = append(cases,
			echoCase("1.1."+id, "text of "+itoa(n)+" bytes", opText, bytes.Repeat([]byte("*"), n), 0),
			echoCase("1.2."+id, "binary of "+itoa(n)+" bytes", opBinary, bytes.Repeat([]byte{0xfe}, n), 0))
	}
	cases = append(cases,
		echoCase("1.1.8", "text of 65536 bytes written in chops of 997", opText, bytes.Repeat([]byte("*"), 65536), 997),
		echoCase("1.2.8", "binary of 65536 bytes written in chops of 997", opBinary, bytes.Repeat([]byte{0xfe}, 65536), 997))
	runAutobahn(t, cases)
}

func TestAutobahn2_AnswersPingsAndIgnoresPongs(t *testing.T) {
	pingCase := func(id, name string, payload []byte, chop int) autobahnCase {
		return autobahnCase{id, name, func(c *testkit.WSClient) {
			if chop > 0 {
				c.SendChopped(fr(opPing, true, payload), chop)
			} else {
				c.SendFrame(fr(opPing, true, payload))
			}
			c.Expect(opPong, payload, "the pong answering a ping")
			c.CloseCleanly("closing after the pong")
		}}
	}
	cases := []autobahnCase{
		pingCase("2.1", "ping without payload", nil, 0),
		pingCase("2.2", "ping with a text payload", []byte("Hello, world!"), 0),
		pingCase("2.3", "ping with a binary payload", []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}, 0),
		pingCase("2.4", "ping with 125 bytes", bytes.Repeat([]byte{0xfe}, 125), 0),
		failCase("2.5", "ping with 126 bytes", 1002, fr(opPing, true, bytes.Repeat([]byte{0xfe}, 126))),
		pingCase("2.6", "ping with 125 bytes written in chops of 1", bytes.Repeat([]byte{0xfe}, 125), 1),
		{"2.7", "unsolicited pong without payload", func(c *testkit.WSClient) {
			c.Send(opPong, true, nil)
			c.CloseCleanly("an unsolicited pong gets no answer: the next frame must be the close")
		}},
		{"2.8", "unsolicited pong with payload", func(c *testkit.WSClient) {
			c.Send(opPong, true, []byte("unsolicited pong payload"))
			c.CloseCleanly("an unsolicited pong gets no answer: the next frame must be the close")
		}},
		{"2.9", "unsolicited pong, then ping", func(c *testkit.WSClient) {
			c.SendAll(fr(opPong, true, []byte("unsolicited pong payload")), fr(opPing, true, []byte("ping payload")))
			c.Expect(opPong, []byte("ping payload"), "the pong answering the ping (not the unsolicited pong)")
			c.CloseCleanly("closing")
		}},
		{"2.10", "10 pings in a row", func(c *testkit.WSClient) {
			var fs []testkit.Frame
			for i := range 10 {
				fs = append(fs, fr(opPing, true, []byte("payload-"+itoa(i))))
			}
			c.SendAll(fs...)
			for i := range 10 {
				c.Expect(opPong, []byte("payload-"+itoa(i)), "pong "+itoa(i)+" of 10, in order")
			}
			c.CloseCleanly("closing")
		}},
	}
	runAutobahn(t, cases)
}

func TestAutobahn3_FailsOnReservedBits(t *testing.T) {
	withRSV := func(f testkit.Frame, rsv byte) testkit.Frame { f.RSV = rsv; return f }
	cases := []autobahnCase{
		failCase("3.1", "text with RSV = 1", 1002, withRSV(fr(opText, true, []byte("Hello")), 1)),
		{"3.2", "text, then text with RSV = 2, then ping", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, true, []byte("Hello")), withRSV(fr(opText, true, []byte("Hello")), 2), fr(opPing, true, []byte("Hello")))
			c.Expect(opText, []byte("Hello"), "the echo of the valid first message")
			c.ExpectClose(1002, "the second frame has RSV bits set: no pong for the ping after it")
		}},
		{"3.3", "the same, frames written one by one", func(c *testkit.WSClient) {
			c.Send(opText, true, []byte("Hello"))
			c.Expect(opText, []byte("Hello"), "the echo of the valid first message")
			c.SendFrame(withRSV(fr(opText, true, []byte("Hello")), 3))
			c.ExpectClose(1002, "a text frame with RSV = 3")
		}},
		{"3.4", "text, then text with RSV = 4 written in chops of 1, then ping", func(c *testkit.WSClient) {
			c.Send(opText, true, []byte("Hello"))
			c.SendChopped(withRSV(fr(opText, true, []byte("Hello")), 4), 1)
			c.Send(opPing, true, []byte("Hello"))
			c.Expect(opText, []byte("Hello"), "the echo of the valid first message")
			c.ExpectClose(1002, "a text frame with RSV = 4: no pong for the ping after it")
		}},
		failCase("3.5", "binary with RSV = 5", 1002, withRSV(fr(opBinary, true, []byte{0xff, 0xfe}), 5)),
		failCase("3.6", "ping with RSV = 6", 1002, withRSV(fr(opPing, true, []byte("Hello")), 6)),
		failCase("3.7", "close with RSV = 7", 1002, withRSV(fr(opClose, true, []byte{0x03, 0xE8}), 7)),
	}
	runAutobahn(t, cases)
}

func TestAutobahn4_FailsOnReservedOpcodes(t *testing.T) {
	var cases []autobahnCase
	for i, op := range []byte{3, 4, 5, 6, 7} {
		cases = append(cases, reservedOpcodeCase("4.1."+itoa(i+1), op, i))
	}
	for i, op := range []byte{11, 12, 13, 14, 15} {
		cases = append(cases, reservedOpcodeCase("4.2."+itoa(i+1), op, i))
	}
	runAutobahn(t, cases)
}

// reservedOpcodeCase: the first two variants send only the bad frame, the
// others send a valid text before it and a ping after it.
func reservedOpcodeCase(id string, op byte, variant int) autobahnCase {
	name := "reserved opcode " + itoa(int(op))
	payload := []byte(nil)
	if variant%2 == 1 {
		payload = []byte("reserved payload")
	}
	if variant < 2 {
		return failCase(id, name, 1002, fr(op, true, payload))
	}
	return autobahnCase{id, "text, " + name + ", ping", func(c *testkit.WSClient) {
		c.SendAll(fr(opText, true, []byte("Hello")), fr(op, true, payload), fr(opPing, true, nil))
		c.Expect(opText, []byte("Hello"), "the echo of the valid first message")
		c.ExpectClose(1002, name+": no pong for the ping after it")
	}}
}

func TestAutobahn5_ReassemblesFragmentsAndEnforcesContinuationRules(t *testing.T) {
	frag1, frag2 := []byte("fragment1"), []byte("fragment2")
	both := []byte("fragment1fragment2")
	cases := []autobahnCase{
		failCase("5.1", "ping in 2 fragments", 1002, fr(opPing, false, frag1), fr(opCont, true, frag2)),
		failCase("5.2", "pong in 2 fragments", 1002, fr(opPong, false, frag1), fr(opCont, true, frag2)),
		{"5.3", "text in 2 fragments", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, frag1), fr(opCont, true, frag2))
			c.Expect(opText, both, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		{"5.4", "text in 2 fragments, written one by one", func(c *testkit.WSClient) {
			c.SendFrame(fr(opText, false, frag1))
			time.Sleep(20 * time.Millisecond)
			c.SendFrame(fr(opCont, true, frag2))
			c.Expect(opText, both, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		{"5.5", "text in 2 fragments, written in chops of 1", func(c *testkit.WSClient) {
			c.SendChopped(fr(opText, false, frag1), 1)
			c.SendChopped(fr(opCont, true, frag2), 1)
			c.Expect(opText, both, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		{"5.6", "text in 2 fragments with a ping in between", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, frag1), fr(opPing, true, []byte("ping payload")), fr(opCont, true, frag2))
			c.Expect(opPong, []byte("ping payload"), "the pong, sent before the message is complete")
			c.Expect(opText, both, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		{"5.7", "the ping between fragments is answered before the last fragment is sent", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, frag1), fr(opPing, true, []byte("ping payload")))
			c.Expect(opPong, []byte("ping payload"), "the pong: answer a ping at once, even in the middle of a message")
			c.Send(opCont, true, frag2)
			c.Expect(opText, both, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		{"5.8", "text in 2 fragments with a ping in between, in chops of 1", func(c *testkit.WSClient) {
			c.SendChopped(fr(opText, false, frag1), 1)
			c.SendChopped(fr(opPing, true, []byte("ping payload")), 1)
			c.SendChopped(fr(opCont, true, frag2), 1)
			c.Expect(opPong, []byte("ping payload"), "the pong")
			c.Expect(opText, both, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		failCase("5.9", "a final continuation with nothing to continue", 1002,
			fr(opCont, true, frag2), fr(opText, true, []byte("Hello"))),
		failCase("5.10", "a non-final continuation with nothing to continue", 1002,
			fr(opCont, false, frag1), fr(opText, true, []byte("Hello"))),
		{"5.11", "a continuation after a complete message", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, true, []byte("Hello")), fr(opCont, true, frag2))
			c.Expect(opText, []byte("Hello"), "the echo of the complete message")
			c.ExpectClose(1002, "the continuation frame has no message to continue")
		}},
		failCase("5.12", "a new text before the last message's final fragment", 1002,
			fr(opText, false, frag1), fr(opText, true, frag2)),
		failCase("5.13", "a new binary before the last text's final fragment", 1002,
			fr(opText, false, frag1), fr(opBinary, true, frag2)),
		{"5.15", "a message, then a continuation that continues nothing", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, frag1), fr(opCont, true, frag2), fr(opCont, false, []byte("fragment3")), fr(opCont, true, []byte("fragment4")))
			c.Expect(opText, both, "the echo of the first, complete message")
			c.ExpectClose(1002, "the third fragment continues a finished message")
		}},
		{"5.19", "text in 5 fragments with pings between, written slowly", func(c *testkit.WSClient) {
			c.Send(opText, false, []byte("f1"))
			c.Send(opCont, false, []byte("f2"))
			c.Send(opPing, true, []byte("pongme 1!"))
			c.Expect(opPong, []byte("pongme 1!"), "the first pong, while the message is still incomplete")
			time.Sleep(20 * time.Millisecond)
			c.Send(opCont, false, []byte("f3"))
			c.Send(opCont, false, []byte("f4"))
			c.Send(opPing, true, []byte("pongme 2!"))
			c.Expect(opPong, []byte("pongme 2!"), "the second pong, while the message is still incomplete")
			c.Send(opCont, true, []byte("f5"))
			c.Expect(opText, []byte("f1f2f3f4f5"), "the reassembled message")
			c.CloseCleanly("closing")
		}},
		{"5.20", "binary in 3 fragments, one of them empty", func(c *testkit.WSClient) {
			c.SendAll(fr(opBinary, false, []byte{1, 2}), fr(opCont, false, nil), fr(opCont, true, []byte{3}))
			c.Expect(opBinary, []byte{1, 2, 3}, "the reassembled binary message, sent back as binary")
			c.CloseCleanly("closing")
		}},
	}
	runAutobahn(t, cases)
}

// A UTF-8 sample from Markus Kuhn's test file, as Autobahn uses it.
var (
	kosme       = []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5") // κόσμε
	helloUTF8   = []byte("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!")
	invalidText = []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")
)

func TestAutobahn6_ValidatesUTF8AcrossFragments(t *testing.T) {
	cases := []autobahnCase{
		echoCase("6.1.1", "empty text", opText, nil, 0),
		{"6.1.2", "text in 3 empty fragments", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, nil), fr(opCont, false, nil), fr(opCont, true, nil))
			c.Expect(opText, nil, "the empty message")
			c.CloseCleanly("closing")
		}},
		{"6.1.3", "text in 3 fragments, the outer ones empty", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, nil), fr(opCont, false, []byte("middle frame payload")), fr(opCont, true, nil))
			c.Expect(opText, []byte("middle frame payload"), "the reassembled message")
			c.CloseCleanly("closing")
		}},
		echoCase("6.2.1", "valid UTF-8 in one frame", opText, helloUTF8, 0),
		{"6.2.2", "valid UTF-8 in fragments cut between characters", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, helloUTF8[:8]), fr(opCont, true, helloUTF8[8:]))
			c.Expect(opText, helloUTF8, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		{"6.2.3", "valid UTF-8, one byte per fragment (characters cut in the middle)", func(c *testkit.WSClient) {
			c.SendAll(bytewise(helloUTF8)...)
			c.Expect(opText, helloUTF8, "the reassembled message: a character split across fragments is still valid")
			c.CloseCleanly("closing")
		}},
		{"6.2.4", "κόσμε, one byte per fragment", func(c *testkit.WSClient) {
			c.SendAll(bytewise(kosme)...)
			c.Expect(opText, kosme, "the reassembled message")
			c.CloseCleanly("closing")
		}},
		failCase("6.3.1", "invalid UTF-8 (a surrogate) in one frame", 1007, fr(opText, true, invalidText)),
		failCase("6.3.2", "invalid UTF-8, one byte per fragment", 1007, bytewise(invalidText)...),
		{"6.4.1", "fail fast: the second fragment makes the text invalid", func(c *testkit.WSClient) {
			c.Send(opText, false, kosme)
			c.Send(opCont, false, []byte("\xf4\x90\x80\x80")) // would be U+110000
			c.ExpectClose(1007, "the message cannot become valid UTF-8 any more: fail now, before the last fragment")
		}},
		{"6.4.2", "fail fast: a valid first byte, an impossible second", func(c *testkit.WSClient) {
			c.Send(opText, false, append(append([]byte{}, kosme...), 0xf4))
			c.Send(opCont, false, []byte{0x90})
			c.ExpectClose(1007, "\\xf4\\x90 can never start valid UTF-8: fail now, before the last fragment")
		}},
		{"6.4.3", "invalid UTF-8 in one frame, written in chops", func(c *testkit.WSClient) {
			c.SendChopped(fr(opText, true, append(append([]byte{}, kosme...), "\xf4\x90\x80\x80edited"...)), 4)
			c.ExpectClose(1007, "an invalid text frame written in pieces")
		}},
	}
	valid := map[string]string{
		"6.5.1": "κόσμε", "6.6.1": "\x00", "6.6.2": "\u0080", "6.6.3": "\u0800", "6.6.4": "\U00010000",
		"6.7.1": "\u007f", "6.7.2": "\u07ff", "6.7.3": "\uffff", "6.7.4": "\U0010ffff",
		"6.8.1": "\ud7ff", "6.8.2": "\ue000", "6.8.3": "\ufffd", "6.8.4": "\xef\xbf\xbe",
	}
	for _, id := range sortedKeys(valid) {
		cases = append(cases, echoCase(id, "valid: "+quote(valid[id]), opText, []byte(valid[id]), 0))
	}
	invalid := map[string]string{
		"6.10.1": "\xf4\x90\x80\x80",         // above U+10FFFF
		"6.10.2": "\xf8\x88\x80\x80\x80",     // a 5-byte sequence
		"6.10.3": "\xfc\x84\x80\x80\x80\x80", // a 6-byte sequence
		"6.12.1": "\x80",                     // a lone continuation byte
		"6.12.2": "\xbf",
		"6.13.1": "\xc0\x20",         // a start byte followed by a space
		"6.14.1": "\xce\xba\xe1\xbd", // a message that ends in the middle of a character
		"6.16.1": "\xfe",             // bytes that never appear in UTF-8
		"6.16.2": "\xff",
		"6.17.1": "\xc0\xaf", // overlong encodings of '/'
		"6.17.2": "\xe0\x80\xaf",
		"6.17.3": "\xf0\x80\x80\xaf",
		"6.19.1": "\xed\xa0\x80",             // a UTF-16 surrogate, U+D800
		"6.19.2": "\xed\xbf\xbf",             // U+DFFF
		"6.20.1": "\xed\xa0\x80\xed\xb0\x80", // a surrogate pair, encoded separately
	}
	for _, id := range sortedKeys(invalid) {
		cases = append(cases, failCase(id, "invalid: "+quote(invalid[id]), 1007, fr(opText, true, []byte(invalid[id]))))
	}
	runAutobahn(t, cases)
}

// bytewise splits a text message into one fragment per byte.
func bytewise(p []byte) []testkit.Frame {
	var fs []testkit.Frame
	for i := range p {
		op := byte(opCont)
		if i == 0 {
			op = opText
		}
		fs = append(fs, fr(op, i == len(p)-1, p[i:i+1]))
	}
	return fs
}

func TestAutobahn7_RunsTheClosingHandshake(t *testing.T) {
	closeWith := func(code uint16, reason string) []byte {
		return append([]byte{byte(code >> 8), byte(code)}, reason...)
	}
	cases := []autobahnCase{
		{"7.1.1", "a message, then close", func(c *testkit.WSClient) {
			c.Send(opText, true, []byte("Hello World!"))
			c.Expect(opText, []byte("Hello World!"), "the echo")
			c.CloseCleanly("the close after a message")
		}},
		{"7.1.2", "close twice", func(c *testkit.WSClient) {
			c.SendAll(fr(opClose, true, closeWith(1000, "")), fr(opClose, true, closeWith(1000, "")))
			c.ExpectClose(1000, "one close frame back, nothing for the second, then TCP closed")
		}},
		{"7.1.3", "close, then ping", func(c *testkit.WSClient) {
			c.SendAll(fr(opClose, true, closeWith(1000, "")), fr(opPing, true, []byte("Hello")))
			c.ExpectClose(1000, "nothing is answered after the close: no pong")
		}},
		{"7.1.4", "close, then a message", func(c *testkit.WSClient) {
			c.SendAll(fr(opClose, true, closeWith(1000, "")), fr(opText, true, []byte("Hello")))
			c.ExpectClose(1000, "nothing is echoed after the close")
		}},
		{"7.1.5", "a fragment, close, then the last fragment", func(c *testkit.WSClient) {
			c.SendAll(fr(opText, false, []byte("fragment1")), fr(opClose, true, closeWith(1000, "")), fr(opCont, true, []byte("fragment2")))
			c.ExpectClose(1000, "a close in the middle of a message ends the connection; the message is never echoed")
		}},
		{"7.3.1", "close without payload", func(c *testkit.WSClient) {
			c.Send(opClose, true, nil)
			f := c.MustRead("the close frame answering an empty close")
			if f.Op != opClose || len(f.Payload) < 2 || !bytes.Equal(f.Payload[:2], []byte{0x03, 0xE8}) {
				c.T.Fatalf("an empty close frame is answered with a close frame with code 1000 (never 1005, which must not be sent, "+
					"and never empty: ReadMessage's doc promises 1000); got opcode 0x%X payload %q", f.Op, f.Payload)
			}
			c.ExpectEOF("after the close frame")
		}},
		failCase("7.3.2", "close with a 1-byte payload", 1002, fr(opClose, true, []byte{0x03})),
		{"7.3.3", "close with 1000 and no reason", func(c *testkit.WSClient) {
			c.Send(opClose, true, closeWith(1000, ""))
			c.ExpectClose(1000, "the code is echoed")
		}},
		{"7.3.4", "close with 1000 and a reason", func(c *testkit.WSClient) {
			c.Send(opClose, true, closeWith(1000, "Hello World!"))
			c.ExpectClose(1000, "the code is echoed")
		}},
		{"7.3.5", "close with a 123-byte reason", func(c *testkit.WSClient) {
			c.Send(opClose, true, closeWith(1000, strings.Repeat("*", 123)))
			c.ExpectClose(1000, "a 125-byte close payload is fine")
		}},
		failCase("7.3.6", "close with a 124-byte reason", 1002, fr(opClose, true, closeWith(1000, strings.Repeat("*", 124)))),
		failCase("7.5.1", "close with a reason that is not UTF-8", 1007, fr(opClose, true, closeWith(1000, string(invalidText)))),
	}
	for i, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 1012, 1013, 1014} {
		cases = append(cases, autobahnCase{"7.7." + itoa(i+1), "valid close code " + itoa(int(code)), func(c *testkit.WSClient) {
			c.Send(opClose, true, closeWith(code, ""))
			c.ExpectClose(code, "a valid close code is echoed (allowed: 1000-1003, 1007-1014, 3000-4999)")
		}})
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 1015, 5000, 65535} {
		cases = append(cases, failCase("7.9."+itoa(i+1), "invalid close code "+itoa(int(code)), 1002, fr(opClose, true, closeWith(code, ""))))
	}
	runAutobahn(t, cases)
}

func TestAutobahn9_BigMessagesAndManyMessages(t *testing.T) {
	const mib = 1 << 20
	text := bytes.Repeat([]byte("*"), mib)
	bin := bytes.Repeat([]byte{0xfe}, mib)
	var cases []autobahnCase
	for i, n := range []int{64 << 10, 256 << 10, mib} {
		cases = append(cases,
			echoCase("9.1."+itoa(i+1), "text of "+itoa(n>>10)+" KiB", opText, text[:n], 0),
			echoCase("9.2."+itoa(i+1), "binary of "+itoa(n>>10)+" KiB", opBinary, bin[:n], 0))
	}
	for i, size := range []int{256, 4 << 10, 64 << 10} {
		cases = append(cases,
			fragmentedCase("9.3."+itoa(i+1), opText, text, size),
			fragmentedCase("9.4."+itoa(i+1), opBinary, bin, size))
	}
	for i, chop := range []int{1 << 10, 64 << 10} {
		cases = append(cases,
			echoCase("9.5."+itoa(i+1), "1 MiB text written in chops of "+itoa(chop), opText, text, chop),
			echoCase("9.6."+itoa(i+1), "1 MiB binary written in chops of "+itoa(chop), opBinary, bin, chop))
	}
	for i, n := range []int{16, 1024} {
		cases = append(cases,
			roundTripsCase("9.7."+itoa(i+1), opText, text[:n]),
			roundTripsCase("9.8."+itoa(i+1), opBinary, bin[:n]))
	}
	// A megabyte each way under -race on a busy machine can take longer
	// than the raw client's usual 5 s: these cases get 20 s.
	for i, tc := range cases {
		cases[i].run = func(c *testkit.WSClient) {
			c.Conn.SetDeadline(time.Now().Add(20 * time.Second))
			tc.run(c)
		}
	}
	runAutobahn(t, cases)
}

// fragmentedCase sends 1 MiB in fragments of size bytes.
func fragmentedCase(id string, op byte, payload []byte, size int) autobahnCase {
	return autobahnCase{id, "1 MiB in fragments of " + itoa(size), func(c *testkit.WSClient) {
		var b []byte
		for i := 0; i < len(payload); i += size {
			fop := byte(opCont)
			if i == 0 {
				fop = op
			}
			b = append(b, fr(fop, i+size >= len(payload), payload[i:min(i+size, len(payload))]).Encode()...)
		}
		_, err := c.Conn.Write(b)
		if err != nil {
			c.T.Fatal(err)
		}
		c.Expect(op, payload, "the reassembled 1 MiB message")
		c.CloseCleanly("closing")
	}}
}

// roundTripsCase sends 200 messages one after the other, each after the
// echo of the previous one.
func roundTripsCase(id string, op byte, payload []byte) autobahnCase {
	return autobahnCase{id, "200 round trips of " + itoa(len(payload)) + " bytes", func(c *testkit.WSClient) {
		for range 200 {
			c.Send(op, true, payload)
			c.Expect(op, payload, "an echo")
		}
		c.CloseCleanly("closing")
	}}
}
