package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The chat completions API, /v1/chat/completions, as vLLM serves it
// (vllm/entrypoints/openai/protocol.py: ChatCompletionRequest,
// ChatCompletionResponse, ChatCompletionStreamResponse,
// ChatCompletionLogProbs; serving_chat.py; main at 030ea52e, the same
// fields since v0.6) and OpenAI documents it. What differs from
// completions: the prompt is a list of messages that the model's chat
// template renders into text; logprobs is a boolean and top_logprobs the
// number of alternatives; a choice's text is message.content; each
// token's logprobs are an object {token, logprob, bytes, top_logprobs}
// whose top_logprobs are the K most probable tokens (the chosen one only
// if it is among them); streamed chunks carry a delta instead of text, the
// first of each choice with the role.

// ChatCompletionRequest is the body of POST /v1/chat/completions.
type ChatCompletionRequest struct {
	Model    string        `json:"model"`
	Messages []ChatMessage `json:"messages"`
	// Logprobs asks for each generated token's log-probability, and
	// TopLogprobs for its K most probable alternatives (needs Logprobs).
	Logprobs    bool `json:"logprobs,omitempty"`
	TopLogprobs *int `json:"top_logprobs,omitempty"`
	// MaxCompletionTokens is OpenAI's name now; MaxTokens the older one.
	// nil both: the context's room, as vLLM.
	MaxTokens           *int `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int `json:"max_completion_tokens,omitempty"`
	N                   *int `json:"n,omitempty"`

	Temperature       *float64       `json:"temperature,omitempty"`
	TopP              *float64       `json:"top_p,omitempty"`
	TopK              *int           `json:"top_k,omitempty"`
	MinP              *float64       `json:"min_p,omitempty"`
	FrequencyPenalty  *float64       `json:"frequency_penalty,omitempty"`
	PresencePenalty   *float64       `json:"presence_penalty,omitempty"`
	RepetitionPenalty *float64       `json:"repetition_penalty,omitempty"`
	Seed              *int64         `json:"seed,omitempty"`
	Stop              StopParam      `json:"stop,omitempty"`
	Stream            bool           `json:"stream,omitempty"`
	StreamOptions     *StreamOptions `json:"stream_options,omitempty"`
	User              string         `json:"user,omitempty"`

	// vLLM's extensions. AddGenerationPrompt (nil: true) ends the prompt
	// with the template's opening of an assistant turn;
	// ContinueFinalMessage instead leaves the last message open, to be
	// continued (transformers' continue_final_message); AddSpecialTokens
	// (default false: the template writes them) adds the tokenizer's BOS;
	// ChatTemplateKwargs are more variables for the template.
	AddGenerationPrompt    *bool          `json:"add_generation_prompt,omitempty"`
	ContinueFinalMessage   bool           `json:"continue_final_message,omitempty"`
	AddSpecialTokens       bool           `json:"add_special_tokens,omitempty"`
	ChatTemplateKwargs     map[string]any `json:"chat_template_kwargs,omitempty"`
	PromptLogprobs         *int           `json:"prompt_logprobs,omitempty"`
	ReturnTokensAsTokenIDs bool           `json:"return_tokens_as_token_ids,omitempty"`
}

// ChatMessage is one message of a conversation.
type ChatMessage struct {
	Role    string      `json:"role"`
	Content ChatContent `json:"content"`
	Name    string      `json:"name,omitempty"`
}

// ChatContent is a message's content: a string, a list of text parts
// ({"type": "text", "text": ...}, joined with "\n" as vLLM joins them for
// a template that reads a string), or null (""). Parts of other types
// (images, audio) are refused.
type ChatContent string

// UnmarshalJSON reads the three shapes.
func (c *ChatContent) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*c = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = ChatContent(s)
		return nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return errors.New("content must be a string, a list of text parts or null")
	}
	texts := make([]string, len(parts))
	for i, p := range parts {
		if p.Type != "text" || p.Text == nil {
			return fmt.Errorf("content part %d has type %q: xent serve takes text parts only ({\"type\": \"text\", \"text\": ...})", i, p.Type)
		}
		texts[i] = *p.Text
	}
	*c = ChatContent(strings.Join(texts, "\n"))
	return nil
}

// DecodeChatRequest reads a /v1/chat/completions body of at most limit
// bytes, as strictly as DecodeCompletionRequest: an unknown field (tools,
// response_format, logit_bias, ...) is refused by name.
func DecodeChatRequest(r io.Reader, limit int64) (*ChatCompletionRequest, error) {
	var req ChatCompletionRequest
	if err := decodeStrict(r, limit, &req); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 {
		return nil, errors.New("messages is required: a list of at least one {role, content}")
	}
	if len(req.ChatTemplateKwargs) == 0 {
		req.ChatTemplateKwargs = nil // {} as absent
	}
	for i, m := range req.Messages {
		if m.Role == "" {
			return nil, fmt.Errorf("messages[%d] has no role", i)
		}
	}
	return &req, nil
}

// ChatCompletionResponse is the answer of POST /v1/chat/completions.
type ChatCompletionResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"` // "chat.completion"
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
	// PromptLogprobs is vLLM's, with prompt_logprobs: over the rendered
	// prompt's tokens, null first.
	PromptLogprobs []PromptLogprob `json:"prompt_logprobs,omitempty"`
}

// ChatChoice is one choice of a chat completion.
type ChatChoice struct {
	Index        int           `json:"index"`
	Message      ChatReply     `json:"message"`
	Logprobs     *ChatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

// ChatReply is the message a choice answers with.
type ChatReply struct {
	Role    string `json:"role"` // "assistant"
	Content string `json:"content"`
}

// ChatLogprobs are a chat choice's logprobs: one entry per generated token.
type ChatLogprobs struct {
	Content []ChatTokenLogprob `json:"content"`
}

// ChatTokenLogprob is a generated token, its log-probability, its bytes
// and the K most probable tokens at its position, most probable first.
type ChatTokenLogprob struct {
	Token       string           `json:"token"`
	Logprob     float64          `json:"logprob"`
	Bytes       []int            `json:"bytes"`
	TopLogprobs []ChatTopLogprob `json:"top_logprobs"`
}

// ChatTopLogprob is one of a position's most probable tokens.
type ChatTopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// ChatCompletionChunk is one server-sent event of a streamed chat
// completion: a delta of one choice's message, its tokens' logprobs, its
// finish_reason on its last chunk; a last chunk with no choices carries
// the usage under stream_options.include_usage.
type ChatCompletionChunk struct {
	ID      string            `json:"id"`
	Object  string            `json:"object"` // "chat.completion.chunk"
	Created int64             `json:"created"`
	Model   string            `json:"model"`
	Choices []ChatChunkChoice `json:"choices"`
	Usage   *Usage            `json:"usage,omitempty"`
}

// ChatChunkChoice is one choice's piece of a chunk.
type ChatChunkChoice struct {
	Index        int           `json:"index"`
	Delta        ChatDelta     `json:"delta"`
	Logprobs     *ChatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

// ChatDelta is what a chunk adds to a message: the role on a choice's
// first chunk, then content.
type ChatDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}
