package tokenizer

import "unicode/utf8"

// StreamDecoder turns ids into text as they are generated. A token may end
// in the middle of a UTF-8 character (byte-level BPE splits characters
// freely), so Add holds back an incomplete trailing character until the
// token that completes it arrives. The concatenation of every Add and the
// final Flush equals Decode of all ids.
type StreamDecoder struct {
	t   *Tokenizer
	buf []byte
}

// NewStreamDecoder starts an empty stream.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Add appends a token and returns the text that is now complete.
func (d *StreamDecoder) Add(id int) string {
	d.buf = append(d.buf, d.t.TokenBytes(id)...)
	n := completePrefix(d.buf)
	if n == 0 {
		return ""
	}
	s := string(d.buf[:n])
	d.buf = append(d.buf[:0], d.buf[n:]...)
	return s
}

// Flush returns whatever is held back (bytes that never became a whole
// character) and resets the stream.
func (d *StreamDecoder) Flush() string {
	s := string(d.buf)
	d.buf = d.buf[:0]
	return s
}

// completePrefix returns how much of b can be emitted: all of it, except a
// tail that is the start of a valid multi-byte character still missing
// bytes. Invalid bytes are emitted as they are; waiting would not fix them.
func completePrefix(b []byte) int {
	// A UTF-8 character is at most 4 bytes, so only the last 3 can be the
	// unfinished start of one.
	for k := 1; k <= 3 && k <= len(b); k++ {
		i := len(b) - k
		c := b[i]
		if c < 0x80 {
			return len(b) // ASCII: nothing pending after it
		}
		if c < 0xC0 {
			continue // continuation byte: look further back for the lead
		}
		if utf8.FullRune(b[i:]) {
			return len(b)
		}
		// b[i:] is short for its lead byte; hold it back only if what is
		// there is a possible prefix of a valid character.
		if validPrefix(b[i:]) {
			return i
		}
		return len(b)
	}
	return len(b)
}

// validPrefix reports whether p (shorter than its lead byte announces) can
// still be completed into a valid UTF-8 character.
func validPrefix(p []byte) bool {
	var tmp [4]byte
	copy(tmp[:], p)
	// Complete with the smallest and largest continuation bytes: the
	// second-byte ranges that make a character valid are contiguous, so if
	// either completion is valid the prefix is.
	for _, fill := range []byte{0x80, 0xBF} {
		for i := len(p); i < 4; i++ {
			tmp[i] = fill
		}
		if r, n := utf8.DecodeRune(tmp[:]); r != utf8.RuneError && n > len(p) {
			return true
		}
	}
	return false
}
