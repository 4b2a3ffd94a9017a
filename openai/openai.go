// Package openai is the wire format of the OpenAI-compatible completions
// API as vLLM serves it, for scoring text: the request and response types
// of /v1/completions with echo and logprobs, vLLM's prompt_logprobs
// extension, /v1/models, vLLM's /tokenize and /detokenize, and the error
// shape. xent serve answers in it and xent eval --endpoint reads it.
//
// The format is written down from vLLM's source, the layout of v0.11 and
// later (read at main, commit 030ea52e): vllm/entrypoints/openai/completion/
// protocol.py (CompletionRequest, CompletionLogProbs, CompletionResponse,
// CompletionResponseChoice), completion/serving.py
// (request_output_to_completion_response, _create_completion_logprobs),
// vllm/logprobs.py (Logprob), serve/engine/protocol.py (ErrorInfo,
// ErrorResponse, ModelCard) and the tokenize protocol (TokenizeResponse,
// DetokenizeRequest); the same fields sit in vllm/entrypoints/openai/
// protocol.py and serving_completion.py from v0.6 to v0.10. What a scorer
// reads of a response:
//
//   - echo: true with max_tokens 0 returns the prompt alone: choices[i].text
//     is the prompt's text and logprobs covers its tokens only. vLLM sets
//     prompt_logprobs to logprobs under echo, so each prompt token has its
//     log-probability given the tokens before it.
//   - logprobs.tokens[k] is the k-th token, decoded, or "token_id:ID" under
//     return_tokens_as_token_ids (TokenIDPrefix); token_logprobs[k] its
//     log-probability, null for k = 0 (nothing conditions the first token);
//     top_logprobs[k] an object from token to log-probability holding the
//     K = logprobs most probable tokens and the token itself (so K or K+1
//     entries), null for k = 0; text_offset[k] the character offset of
//     token k in text. vLLM clamps every log-probability to ≥ −9999
//     (MinLogprob), as OpenAI does, since −Inf is not JSON.
//   - prompt_logprobs (vLLM only, with prompt_logprobs: K in the request):
//     a list over the prompt's tokens, null first, then objects from token
//     id (a JSON string of the integer) to {logprob, rank, decoded_token},
//     the prompt token itself among them with its rank (1 = most probable).
//   - A prompt is a string, a list of strings, a list of token ids or a
//     list of lists of token ids; each list entry is a prompt of its own
//     and gets its own choice (n choices each, in order). Token ids are
//     sent to the model as they are: no BOS is added to them.
//   - Errors are {"error": {"message", "type", "param", "code"}}; vLLM's
//     code is the HTTP status as an integer, OpenAI's a string or null
//     (ErrorInfo.Code keeps either). vLLM before v0.8 answered the fields
//     flat with "object": "error"; ParseError reads both.
package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// TokenIDPrefix starts a token written as its id, as vLLM writes tokens
// under return_tokens_as_token_ids: "token_id:123".
const TokenIDPrefix = "token_id:"

// MinLogprob is the floor vLLM and OpenAI put under every log-probability
// they return.
const MinLogprob = -9999.0

// CompletionRequest is the body of POST /v1/completions. Pointers are
// fields whose absence differs from their zero value.
type CompletionRequest struct {
	Model  string `json:"model"`
	Prompt Prompt `json:"prompt"`
	Echo   bool   `json:"echo,omitempty"`
	// Logprobs asks for the top-K alternatives at each returned token (0:
	// only the token's own log-probability); nil: no logprobs at all.
	Logprobs  *int `json:"logprobs,omitempty"`
	MaxTokens *int `json:"max_tokens,omitempty"` // nil: 16, OpenAI's default
	N         *int `json:"n,omitempty"`          // choices per prompt; nil: 1

	Temperature       *float64  `json:"temperature,omitempty"`
	TopP              *float64  `json:"top_p,omitempty"`
	TopK              *int      `json:"top_k,omitempty"`
	MinP              *float64  `json:"min_p,omitempty"`
	FrequencyPenalty  *float64  `json:"frequency_penalty,omitempty"`
	PresencePenalty   *float64  `json:"presence_penalty,omitempty"`
	RepetitionPenalty *float64  `json:"repetition_penalty,omitempty"`
	Seed              *int64    `json:"seed,omitempty"`
	Stop              StopParam `json:"stop,omitempty"`
	Stream            bool      `json:"stream,omitempty"`
	// StreamOptions.IncludeUsage asks for a last chunk with the usage.
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`
	User          string         `json:"user,omitempty"`

	// vLLM's extensions.
	PromptLogprobs         *int  `json:"prompt_logprobs,omitempty"`
	ReturnTokensAsTokenIDs bool  `json:"return_tokens_as_token_ids,omitempty"`
	ReturnTokenIDs         bool  `json:"return_token_ids,omitempty"`
	AddSpecialTokens       *bool `json:"add_special_tokens,omitempty"`
}

// Prompt is a completion request's prompt: text or token ids, one prompt
// or several. Exactly one of Texts and IDs is set once decoded.
type Prompt struct {
	Texts []string
	IDs   [][]int32
	// List says that the JSON was a list of prompts (of strings or of
	// token lists) rather than a single one.
	List bool
}

// Len is the number of prompts.
func (p Prompt) Len() int { return len(p.Texts) + len(p.IDs) }

// MarshalJSON writes p in the shape it was read in.
func (p Prompt) MarshalJSON() ([]byte, error) {
	switch {
	case p.Texts != nil && !p.List && len(p.Texts) == 1:
		return json.Marshal(p.Texts[0])
	case p.Texts != nil:
		return json.Marshal(p.Texts)
	case !p.List && len(p.IDs) == 1:
		return json.Marshal(p.IDs[0])
	}
	return json.Marshal(p.IDs)
}

// UnmarshalJSON reads the four shapes OpenAI allows. A mixed list, a
// negative or fractional id, an empty list and null are errors.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	*p = Prompt{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' {
		return errors.New("prompt is missing (null)")
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("prompt: %w", err)
		}
		p.Texts = []string{s}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return errors.New("prompt must be a string, a list of strings, a list of token ids or a list of lists of token ids")
	}
	if len(items) == 0 {
		return errors.New("prompt is an empty list")
	}
	switch c := bytes.TrimSpace(items[0]); {
	case len(c) > 0 && c[0] == '"':
		p.List = true
		for i, it := range items {
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return fmt.Errorf("prompt[%d]: a list of strings holds only strings", i)
			}
			p.Texts = append(p.Texts, s)
		}
	case len(c) > 0 && c[0] == '[':
		p.List = true
		for i, it := range items {
			ids, err := tokenIDs(it)
			if err != nil {
				return fmt.Errorf("prompt[%d]: %w", i, err)
			}
			if len(ids) == 0 {
				return fmt.Errorf("prompt[%d] is an empty list of token ids", i)
			}
			p.IDs = append(p.IDs, ids)
		}
	default:
		ids, err := tokenIDs(b)
		if err != nil {
			return fmt.Errorf("prompt: %w", err)
		}
		p.IDs = [][]int32{ids}
	}
	return nil
}

// tokenIDs reads a JSON list of token ids, each an integer in [0, 2³¹).
func tokenIDs(b []byte) ([]int32, error) {
	var nums []json.Number
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&nums); err != nil {
		return nil, errors.New("a list of token ids holds only integers")
	}
	ids := make([]int32, len(nums))
	for i, n := range nums {
		v, err := strconv.ParseInt(n.String(), 10, 32)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("token id %s at position %d is not an integer in [0, 2147483647]", n, i)
		}
		ids[i] = int32(v)
	}
	return ids, nil
}

// StopParam is stop: one string or a list of them.
type StopParam []string

// UnmarshalJSON reads a string, a list of strings or null.
func (s *StopParam) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = StopParam{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("stop must be a string or a list of strings")
	}
	if len(list) == 0 {
		list = nil // as absent
	}
	*s = list
	return nil
}

// DecodeCompletionRequest reads one request body of at most limit bytes.
// Unknown fields are refused by name rather than ignored, as a field xent
// does not implement would silently change what the answer means; so is
// anything after the object.
func DecodeCompletionRequest(r io.Reader, limit int64) (*CompletionRequest, error) {
	var req CompletionRequest
	if err := decodeStrict(r, limit, &req); err != nil {
		return nil, err
	}
	if req.Prompt.Len() == 0 {
		return nil, errors.New("prompt is required")
	}
	return &req, nil
}

// ErrTooLarge is the error of a body over the size limit.
var ErrTooLarge = errors.New("the request body is too large")

// decodeStrict decodes one JSON object of at most limit bytes into v,
// refusing unknown fields and trailing data.
func decodeStrict(r io.Reader, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("reading the request body: %w", err)
	}
	if int64(len(body)) > limit {
		return fmt.Errorf("%w (over %d bytes)", ErrTooLarge, limit)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("the body is not valid JSON: %v at byte %d", se, se.Offset)
		case errors.As(err, &te):
			return fmt.Errorf("field %s: expected %s, not a JSON %s", te.Field, te.Type, te.Value)
		case errors.Is(err, io.EOF):
			return errors.New("the body is empty")
		}
		return fmt.Errorf("the body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if d.More() {
		return errors.New("the body holds data after its JSON object")
	}
	return nil
}

// CompletionResponse is the answer of POST /v1/completions.
type CompletionResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"` // "text_completion"
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []CompletionChoice `json:"choices"`
	Usage   Usage              `json:"usage"`
}

// StreamOptions are OpenAI's stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage,omitempty"`
}

// CompletionChunk is one server-sent event of a streamed completion
// ("data: " and the chunk's JSON, then a blank line; "data: [DONE]" ends
// the stream): a piece of one choice's text, with the logprobs of its
// tokens, and the choice's finish_reason on its last chunk; a last chunk
// with no choices carries the usage under stream_options.include_usage.
type CompletionChunk struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"` // "text_completion"
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []CompletionChoice `json:"choices"`
	Usage   *Usage             `json:"usage,omitempty"`
}

// CompletionChoice is one choice: prompt i's choice j has index i·n + j.
type CompletionChoice struct {
	Index        int                 `json:"index"`
	Text         string              `json:"text"`
	Logprobs     *CompletionLogprobs `json:"logprobs"`
	FinishReason *string             `json:"finish_reason"`
	// PromptLogprobs is vLLM's: with prompt_logprobs in the request, one
	// entry per prompt token, null first.
	PromptLogprobs []PromptLogprob `json:"prompt_logprobs,omitempty"`
	// PromptTokenIDs is vLLM's, with return_token_ids.
	PromptTokenIDs []int32 `json:"prompt_token_ids,omitempty"`
}

// CompletionLogprobs are the per-token log-probabilities of a choice, four
// lists of one length.
type CompletionLogprobs struct {
	TextOffset    []int         `json:"text_offset"`
	TokenLogprobs []*float64    `json:"token_logprobs"`
	Tokens        []string      `json:"tokens"`
	TopLogprobs   []TopLogprobs `json:"top_logprobs"`
}

// TopLogprobs is one position's object from token to log-probability, in
// the order it was written; nil for JSON null.
type TopLogprobs []TokenLogprob

// TokenLogprob is a token (decoded text, or TokenIDPrefix and its id) and
// its log-probability.
type TokenLogprob struct {
	Token   string
	Logprob float64
}

// MarshalJSON writes an object in order, or null for nil.
func (t TopLogprobs) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	return writeOrderedObject(len(t), func(i int) (string, any) { return t[i].Token, t[i].Logprob })
}

// UnmarshalJSON reads an object, keeping its order, or null.
func (t *TopLogprobs) UnmarshalJSON(b []byte) error {
	*t = nil
	return orderedObject(b, func(key string, raw json.RawMessage) error {
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("top_logprobs[%q] is not a number", key)
		}
		*t = append(*t, TokenLogprob{key, f})
		return nil
	}, func() { *t = TopLogprobs{} })
}

// PromptLogprob is one position of vLLM's prompt_logprobs: token id to
// Logprob, in the order written; nil for JSON null.
type PromptLogprob []IDLogprob

// IDLogprob is one entry of a PromptLogprob.
type IDLogprob struct {
	ID int32
	Logprob
}

// Logprob is vLLM's Logprob (vllm/logprobs.py): a token's log-probability,
// its rank among the vocabulary (1: the most probable) and its text.
type Logprob struct {
	Logprob      float64 `json:"logprob"`
	Rank         *int    `json:"rank,omitempty"`
	DecodedToken *string `json:"decoded_token,omitempty"`
}

// MarshalJSON writes an object keyed by the ids as strings, or null.
func (p PromptLogprob) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	return writeOrderedObject(len(p), func(i int) (string, any) { return strconv.Itoa(int(p[i].ID)), p[i].Logprob })
}

// writeOrderedObject writes the n entries entry(0) … entry(n−1) as one JSON
// object, in that order (encoding/json would sort a map's keys); the
// writing half of orderedObject.
func writeOrderedObject(n int, entry func(i int) (key string, value any)) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		key, value := entry(i)
		k, err := json.Marshal(key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object, keeping its order, or null.
func (p *PromptLogprob) UnmarshalJSON(b []byte) error {
	*p = nil
	return orderedObject(b, func(key string, raw json.RawMessage) error {
		id, err := strconv.ParseInt(key, 10, 32)
		if err != nil || id < 0 {
			return fmt.Errorf("prompt_logprobs key %q is not a token id", key)
		}
		var lp Logprob
		if err := json.Unmarshal(raw, &lp); err != nil {
			return fmt.Errorf("prompt_logprobs[%q]: %w", key, err)
		}
		*p = append(*p, IDLogprob{int32(id), lp})
		return nil
	}, func() { *p = PromptLogprob{} })
}

// orderedObject calls each for every member of the JSON object b in order;
// null calls nothing, and an object, even an empty one, calls empty first.
func orderedObject(b []byte, each func(string, json.RawMessage) error, empty func()) error {
	d := json.NewDecoder(bytes.NewReader(b))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("expected an object or null")
	}
	empty()
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
		if err := each(kt.(string), raw); err != nil {
			return err
		}
	}
	_, err = d.Token()
	return err
}

// Usage counts a response's tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ModelList is the answer of GET /v1/models.
type ModelList struct {
	Object string      `json:"object"` // "list"
	Data   []ModelCard `json:"data"`
}

// ModelCard describes one served model; MaxModelLen is vLLM's.
type ModelCard struct {
	ID          string  `json:"id"`
	Object      string  `json:"object"` // "model"
	Created     int64   `json:"created"`
	OwnedBy     string  `json:"owned_by"`
	Root        string  `json:"root,omitempty"`
	Parent      *string `json:"parent"`
	MaxModelLen int     `json:"max_model_len,omitempty"`
}

// TokenizeRequest is the body of vLLM's POST /tokenize (the completion
// form; the chat form with messages is not read).
type TokenizeRequest struct {
	Model            string `json:"model,omitempty"`
	Prompt           string `json:"prompt"`
	AddSpecialTokens *bool  `json:"add_special_tokens,omitempty"` // nil: true, as vLLM
	ReturnTokenStrs  bool   `json:"return_token_strs,omitempty"`
}

// TokenizeResponse is the answer of POST /tokenize.
type TokenizeResponse struct {
	Count       int      `json:"count"`
	MaxModelLen int      `json:"max_model_len"`
	Tokens      []int32  `json:"tokens"`
	TokenStrs   []string `json:"token_strs,omitempty"`
}

// DetokenizeRequest is the body of vLLM's POST /detokenize.
type DetokenizeRequest struct {
	Model  string  `json:"model,omitempty"`
	Tokens []int32 `json:"tokens"`
}

// DetokenizeResponse is the answer of POST /detokenize.
type DetokenizeResponse struct {
	Prompt string `json:"prompt"`
}

// DecodeTokenizeRequest and DecodeDetokenizeRequest read those bodies as
// strictly as DecodeCompletionRequest.
func DecodeTokenizeRequest(r io.Reader, limit int64) (*TokenizeRequest, error) {
	var req TokenizeRequest
	return &req, decodeStrict(r, limit, &req)
}

// DecodeDetokenizeRequest reads a /detokenize body; see
// DecodeTokenizeRequest.
func DecodeDetokenizeRequest(r io.Reader, limit int64) (*DetokenizeRequest, error) {
	var req DetokenizeRequest
	return &req, decodeStrict(r, limit, &req)
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo says what went wrong. Type is OpenAI's and vLLM's
// (BadRequestError, AuthenticationError, NotFoundError, RateLimitError,
// InternalServerError, ...); Code is the HTTP status as vLLM writes it, or
// OpenAI's string code.
type ErrorInfo struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Param   *string         `json:"param"`
	Code    json.RawMessage `json:"code"`
}

// NewError is the error body of an HTTP status, in vLLM's form.
func NewError(status int, typ, param, msg string) ErrorResponse {
	e := ErrorResponse{Error: ErrorInfo{Message: msg, Type: typ, Code: json.RawMessage(strconv.Itoa(status))}}
	if param != "" {
		e.Error.Param = &param
	}
	return e
}

// ParseError reads an error body, nested as OpenAI and vLLM ≥ 0.8 write
// it or flat as older vLLM did; false if b is neither.
func ParseError(b []byte) (ErrorInfo, bool) {
	var nested struct {
		Error *ErrorInfo `json:"error"`
	}
	if json.Unmarshal(b, &nested) == nil && nested.Error != nil && nested.Error.Message != "" {
		return *nested.Error, true
	}
	var flat struct {
		Object string `json:"object"`
		ErrorInfo
	}
	if json.Unmarshal(b, &flat) == nil && flat.Object == "error" {
		return flat.ErrorInfo, true
	}
	return ErrorInfo{}, false
}

// TokenID reads a token written as TokenIDPrefix and its id.
func TokenID(s string) (int32, bool) {
	rest, ok := strings.CutPrefix(s, TokenIDPrefix)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(rest, 10, 32)
	if err != nil || v < 0 {
		return 0, false
	}
	return int32(v), true
}
