package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A run on two shared cores takes hours, and a neighbour's kill or a
// reboot loses it: each finished row is appended to .bench/rows.jsonl, and
// RESUME=1 reuses the rows of an earlier run made with the same exaone
// commit, llama.cpp build, threads and repetitions, running only the rest.

// savedRow is a line of the rows file.
type savedRow struct {
	Key  string `json:"key"`
	Row  string `json:"row"`
	Load string `json:"load"`
}

type rowStore struct {
	path  string
	saved map[string]savedRow
	used  int
}

// openRows starts the rows file afresh, or with resume reads what it holds.
func openRows(path string, resume bool) (*rowStore, error) {
	s := &rowStore{path: path, saved: map[string]savedRow{}}
	if !resume {
		return s, os.WriteFile(path, nil, 0o644)
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r savedRow
		// A line cut short by a kill is skipped: its row runs again.
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Key != "" {
			s.saved[r.Key] = r
		}
	}
	return s, sc.Err()
}

func (s *rowStore) save(r savedRow) {
	f, err := os.OpenFile(s.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		logf("rows file: %v", err)
		return
	}
	defer f.Close()
	b, _ := json.Marshal(r)
	f.Write(append(b, '\n'))
}

// rowKey names a row by everything its figures depend on.
func (r *report) rowKey(section, file, test string) string {
	return strings.Join([]string{section, filepath.Base(file), test, fmt.Sprintf("t%d r%d", r.cfg.threads, r.cfg.reps),
		r.exaoneCommit, r.llamaVersion}, " | ")
}

// reuse returns the saved row of key, if any, counting it as a turn.
func (r *report) reuse(key string) (string, bool) {
	sr, ok := r.rows.saved[key]
	if !ok {
		return "", false
	}
	r.turn++
	r.loads = append(r.loads, sr.Load)
	r.rows.used++
	logf("reusing %s", sr.Row)
	return sr.Row, true
}

// keep saves a finished row (failed rows are not kept: a resumed run
// tries them again).
func (r *report) keep(key, row string) {
	load := ""
	if len(r.loads) > 0 {
		load = r.loads[len(r.loads)-1]
	}
	r.rows.save(savedRow{Key: key, Row: row, Load: load})
}
