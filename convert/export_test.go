package convert

// SetChunkElems sets the values per streamed piece and returns a function
// that restores the default.
func SetChunkElems(n int64) (restore func()) {
	old := chunkElems
	chunkElems = n
	return func() { chunkElems = old }
}
