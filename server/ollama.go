package server

import "net/http"

func (s *Server) ollamaRoutes(mux *http.ServeMux) {}

func writeOllamaError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
