package generate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/exaone-go/exaone/defaultmodel"
	"github.com/exaone-go/exaone/grammar"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/tokenizer"
	"github.com/exaone-go/exaone/tokenizer/chat"
)

// Model is a loaded EXAONE 4 GGUF file with its tokenizer. It is read-only
// once loaded: any number of Sessions, in any goroutines, may share it.
type Model struct {
	dec      *model.Model
	tk       *tokenizer.Tokenizer
	path     string
	name     string
	chat     bool
	loadTime time.Duration
	// ids of the control tokens the output parser needs to see as text.
	tags map[int]string

	// The vocabulary indexed for grammar masks, built on first use
	// (grammar.NewVocab takes ~200 ms on 102,400 tokens).
	vocabOnce sync.Once
	vocab     *grammar.Vocab
}

// Load maps the GGUF file at path (the weights stay in the file's pages,
// shared with the page cache) and reads its tokenizer. An empty path loads
// the embedded default model, converting it into the user cache directory
// on first use.
func Load(path string) (*Model, error) {
	start := time.Now()
	if path == "" {
		p, err := defaultmodel.Path()
		if err != nil {
			return nil, err
		}
		path = p
	}
	// Refuse what is not a regular file before opening it: opening a FIFO
	// blocks until a writer appears, and a device never ends.
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("model %s: no such file", path)
	case err != nil:
		return nil, fmt.Errorf("model: %w", err)
	case st.IsDir():
		return nil, fmt.Errorf("model %s is a directory (convert a Hugging Face checkpoint first: exaone convert %s -o model.gguf)", path, path)
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("model %s is not a regular file", path)
	}
	dec, err := model.Open(path)
	if err != nil {
		return nil, err
	}
	tk, err := tokenizer.FromGGUF(dec.File)
	if err != nil {
		dec.Close()
		return nil, err
	}
	if tk.VocabSize() > dec.Vocab {
		dec.Close()
		return nil, fmt.Errorf("model %s: the tokenizer has %d tokens, the model's vocabulary %d", path, tk.VocabSize(), dec.Vocab)
	}
	m := &Model{dec: dec, tk: tk, path: path, chat: chat.Detect(tk.ChatTemplate()), tags: map[int]string{}}
	m.name, _ = dec.File.String("general.name")
	for _, tag := range []string{tagThinkOpen, tagThinkClose, tagCallOpen, tagCallClose} {
		if id, ok := tk.TokenID(tag); ok {
			m.tags[id] = tag
		}
	}
	m.loadTime = time.Since(start)
	return m, nil
}

// Close unmaps the file. Every Session of the model must be closed first.
func (m *Model) Close() error { return m.dec.Close() }

// Path is the GGUF file's path.
func (m *Model) Path() string { return m.path }

// Name is the model's general.name ("" if the file has none).
func (m *Model) Name() string { return m.name }

// LoadTime is how long Load took.
func (m *Model) LoadTime() time.Duration { return m.loadTime }

// Chat reports whether the model's chat template is EXAONE 4's (the format
// Request.Messages is rendered in).
func (m *Model) Chat() bool { return m.chat }

// Decoder is the underlying decoder, for evaluation without generation
// (perplexity, say).
func (m *Model) Decoder() *model.Model { return m.dec }

// Tokenizer is the model's tokenizer.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tk }

// Tokens renders and tokenizes a request's prompt exactly as Generate will
// evaluate it.
func (m *Model) Tokens(req *Request) ([]int, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	var text string
	if req.Prompt != "" {
		text = req.Prompt
	} else {
		var err error
		text, err = m.Render(req)
		if err != nil {
			return nil, err
		}
	}
	ids := m.tk.Encode(text, true)
	if m.tk.AddBOS() && m.tk.BOS() >= 0 && (len(ids) == 0 || ids[0] != m.tk.BOS()) {
		ids = append([]int{m.tk.BOS()}, ids...)
	}
	return ids, nil
}

// Render returns a chat request's prompt text in the EXAONE 4 format, with
// the assistant's turn opened.
func (m *Model) Render(req *Request) (string, error) {
	text, err := chat.Render(req.Messages, req.Tools, chat.Options{EnableThinking: req.Think, AddGenerationPrompt: true})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return text, nil
}

// tokenBytes is what token id adds to the output text: a tag's text for
// the tags the parser reads, nothing for other control tokens.
func (m *Model) tokenBytes(id int) []byte {
	if tag, ok := m.tags[id]; ok {
		return []byte(tag)
	}
	if m.tk.IsControl(id) {
		return nil
	}
	return m.tk.TokenBytes(id)
}

// grammarVocab returns the vocabulary for grammar masks: each token's
// bytes, the tool-call tags as their text (a tool-call grammar writes
// them), other control tokens (the think tags included) never allowed,
// and the end-of-turn token as the end of the document.
func (m *Model) grammarVocab() *grammar.Vocab {
	m.vocabOnce.Do(func() {
		tokens := make([][]byte, m.tk.VocabSize())
		for id := range tokens {
			if tag, ok := m.tags[id]; !ok || tag == tagCallOpen || tag == tagCallClose {
				tokens[id] = m.tokenBytes(id)
			}
		}
		m.vocab = grammar.NewVocab(tokens, m.tk.EOS())
	})
	return m.vocab
}
