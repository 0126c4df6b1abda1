package lineedit

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// keyKind is what a key does, whichever bytes a terminal sent for it: Home
// arrives as ESC[H, ESC[1~, ESC[7~, ESC O H or Ctrl-A.
type keyKind uint8

const (
	keyNone keyKind = iota // consumed and ignored
	keyRune
	keyEnter
	keyInterrupt // Ctrl-C
	keyEOF       // Ctrl-D
	keyAbort     // Ctrl-G
	keyBackspace
	keyDelete
	keyLeft
	keyRight
	keyWordLeft
	keyWordRight
	keyHome
	keyEnd
	keyUp
	keyDown
	keyKillEnd      // Ctrl-K
	keyKillStart    // Ctrl-U
	keyKillBigWord  // Ctrl-W: back to whitespace
	keyKillWordBack // Alt-Backspace: back over one alphanumeric word
	keyKillWordFwd  // Alt-d
	keyYank         // Ctrl-Y
	keyClear        // Ctrl-L
	keyTab          // Tab typed, not pasted
	keySearch       // Ctrl-R
	keyPasteStart   // ESC[200~
	keyPasteEnd     // ESC[201~
)

type key struct {
	kind keyKind
	r    rune // for keyRune
	cr   bool // keyEnter sent as CR: a LF right after it is the same Enter
}

const esc = 0x1b

// maxCSI bounds the bytes buffered for one control sequence: a CSI that has
// no final byte by then is noise (or an attack) and is dropped, so the
// editor never waits on it forever.
const maxCSI = 32

// pasteEnd closes a bracketed paste.
var pasteEnd = []byte("\x1b[201~")

var controlKeys = [0x20]keyKind{
	0x01: keyHome,      // Ctrl-A
	0x02: keyLeft,      // Ctrl-B
	0x03: keyInterrupt, // Ctrl-C
	0x04: keyEOF,       // Ctrl-D
	0x05: keyEnd,       // Ctrl-E
	0x06: keyRight,     // Ctrl-F
	0x07: keyAbort,     // Ctrl-G
	0x08: keyBackspace, // Ctrl-H
	0x09: keyTab,
	0x0a: keyEnter, // Ctrl-J
	0x0b: keyKillEnd,
	0x0c: keyClear,
	0x0d: keyEnter, // Ctrl-M
	0x0e: keyDown,  // Ctrl-N
	0x10: keyUp,    // Ctrl-P
	0x12: keySearch,
	0x15: keyKillStart,
	0x17: keyKillBigWord,
	0x19: keyYank,
}

// decode returns the first key in b and how many bytes it took. n == 0 means
// b holds only the beginning of a key and more input is needed; when final
// is set no more input will come, and decode always takes at least one byte
// of a non-empty b. In a bracketed paste (paste set) everything but the
// paste's end is text.
func decode(b []byte, paste, final bool) (k key, n int) {
	if len(b) == 0 {
		return key{}, 0
	}
	if paste {
		return decodePaste(b, final)
	}
	switch c := b[0]; {
	case c == esc:
		return decodeEscape(b, final)
	case c < 0x20:
		return key{kind: controlKeys[c], cr: c == '\r'}, 1
	case c == 0x7f:
		return key{kind: keyBackspace}, 1
	case c < 0x80:
		return key{kind: keyRune, r: rune(c)}, 1
	}
	return decodeRune(b, final)
}

// decodeRune takes one UTF-8 encoded rune; invalid bytes and control
// characters outside ASCII (C1) are dropped, since a terminal would act on
// the latter if they were echoed.
func decodeRune(b []byte, final bool) (key, int) {
	if !utf8.FullRune(b) {
		if final {
			return key{}, 1
		}
		return key{}, 0
	}
	r, n := utf8.DecodeRune(b)
	if (r == utf8.RuneError && n == 1) || unicode.IsControl(r) {
		return key{}, n
	}
	return key{kind: keyRune, r: r}, n
}

func decodeEscape(b []byte, final bool) (key, int) {
	if len(b) < 2 {
		if final {
			return key{}, 1
		}
		return key{}, 0
	}
	switch c := b[1]; {
	case c == '[':
		return decodeCSI(b, final)
	case c == 'O':
		if len(b) < 3 {
			if final {
				return key{}, 2
			}
			return key{}, 0
		}
		if x := b[2]; x >= 0x20 && x <= 0x7e {
			return key{kind: ss3Keys(x)}, 3
		}
		// Alt-O and then a control key: keep the control key.
		return key{}, 2
	case c == 0x7f || c == 0x08:
		return key{kind: keyKillWordBack}, 2
	case c < 0x20:
		// A lone Escape and then, say, Enter or Ctrl-C: the key still
		// counts, the Escape does not. ESC ESC [ A (Alt-Up in some
		// terminals) becomes Up.
		return key{}, 1
	case c < 0x80:
		switch c {
		case 'b', 'B':
			return key{kind: keyWordLeft}, 2
		case 'f', 'F':
			return key{kind: keyWordRight}, 2
		case 'd', 'D':
			return key{kind: keyKillWordFwd}, 2
		}
		return key{}, 2
	}
	// Alt and a non-ASCII character: unbound, but take the whole rune.
	if !utf8.FullRune(b[1:]) && !final {
		return key{}, 0
	}
	_, n := utf8.DecodeRune(b[1:])
	return key{}, 1 + n
}

// decodeCSI takes ESC [ parameters intermediates final-byte (ECMA-48).
func decodeCSI(b []byte, final bool) (key, int) {
	for i := 2; i < len(b); i++ {
		if i >= maxCSI {
			return key{}, maxCSI
		}
		switch c := b[i]; {
		case c >= 0x40 && c <= 0x7e:
			return key{kind: csiKey(b[2:i], c)}, i + 1
		case c < 0x20 || c > 0x3f:
			// No sequence holds this byte: the one before was cut off
			// (a terminal's own parser gives up the same way). Drop
			// it, keep the byte.
			return key{}, i
		}
	}
	if len(b) >= maxCSI {
		return key{}, maxCSI
	}
	if final {
		return key{}, len(b)
	}
	return key{}, 0
}

func csiKey(params []byte, final byte) keyKind {
	num, mod, _ := bytes.Cut(params, []byte{';'})
	// xterm's modifiers: 2 Shift, 3 Alt, 5 Ctrl, ... Ctrl or Alt with an
	// arrow moves by words, as in bash with the usual inputrc.
	word := len(mod) > 0 && string(mod) != "1" && string(mod) != "2"
	switch final {
	case 'A':
		return keyUp
	case 'B':
		return keyDown
	case 'C':
		if word {
			return keyWordRight
		}
		return keyRight
	case 'D':
		if word {
			return keyWordLeft
		}
		return keyLeft
	case 'H':
		return keyHome
	case 'F':
		return keyEnd
	case '~':
		switch string(num) {
		case "1", "7":
			return keyHome
		case "4", "8":
			return keyEnd
		case "3":
			return keyDelete
		case "200":
			return keyPasteStart
		case "201":
			return keyPasteEnd
		}
	}
	return keyNone
}

// ss3Keys maps ESC O x, which terminals send for the cursor keys in
// application mode.
func ss3Keys(x byte) keyKind {
	switch x {
	case 'A':
		return keyUp
	case 'B':
		return keyDown
	case 'C':
		return keyRight
	case 'D':
		return keyLeft
	case 'H':
		return keyHome
	case 'F':
		return keyEnd
	}
	return keyNone
}

// decodePaste reads inside a bracketed paste: text is text (Tab included),
// newlines are Enter, as bash runs a pasted script line by line, and Ctrl-C
// still interrupts so that a paste that never ends cannot lock the user out.
func decodePaste(b []byte, final bool) (key, int) {
	switch c := b[0]; {
	case c == esc:
		if bytes.HasPrefix(b, pasteEnd) {
			return key{kind: keyPasteEnd}, len(pasteEnd)
		}
		if bytes.HasPrefix(pasteEnd, b) && !final {
			return key{}, 0
		}
		return key{}, 1
	case c == '\r' || c == '\n':
		return key{kind: keyEnter, cr: c == '\r'}, 1
	case c == 0x03:
		return key{kind: keyInterrupt}, 1
	case c == '\t':
		return key{kind: keyRune, r: '\t'}, 1
	case c < 0x20 || c == 0x7f:
		return key{}, 1
	case c < 0x80:
		return key{kind: keyRune, r: rune(c)}, 1
	}
	return decodeRune(b, final)
}
