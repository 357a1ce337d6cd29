package dev.plinth.text.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plinth.text.ChatMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Exact renderings of well-known templates. Each expected text was written by walking the
 * template by hand with Jinja2's rules as transformers configures them (trim_blocks: a newline
 * right after a block tag goes; lstrip_blocks: spaces before a block tag on its line go;
 * {@code -} strips all whitespace on that side; one trailing newline of the source goes).
 */
class WellKnownTemplatesTest {

    @Test
    void llama31() {
        // bos_token, then the system header; date_string and tools are undefined, so the template
        // sets "26 Jul 2024" and none (no "Environment: ipython"). The system message is
        // messages[0].content|trim and is removed from messages; every other message is
        // header + "\n\n" + content|trim + <|eot_id|>; the generation prompt is the assistant header.
        String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                + "You are helpful.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, render("meta-llama-Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>",
                ChatTemplates.THREE_TURNS, Map.of()));
    }

    @Test
    void llama31DateStringFromTheCaller() {
        // "if not date_string is defined" must read as not (date_string is defined): a given
        // date survives (Jinjava alone would read (not date_string) is defined and overwrite it).
        String out = render("meta-llama-Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>",
                ChatTemplates.THREE_TURNS, Map.of("date_string", "04 Mar 2025"));
        assertEquals(true, out.contains("Today Date: 04 Mar 2025\n\n"), out);
    }

    @Test
    void qwen25() {
        // No tools: the system message (or Qwen's default) in <|im_start|>system ... <|im_end|>\n,
        // then each non-system message as <|im_start|>role\ncontent<|im_end|>\n, then the prompt.
        String expected = "<|im_start|>system\nYou are helpful.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nHow are you?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(expected, render("Qwen-Qwen2.5-7B-Instruct", "", "<|im_end|>", ChatTemplates.THREE_TURNS, Map.of()));
        // Without a system message Qwen supplies its own.
        String noSystem = render("Qwen-Qwen2.5-7B-Instruct", "", "<|im_end|>", ChatTemplates.NO_SYSTEM, Map.of());
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n", noSystem);
    }

    @Test
    void phi35() {
        // No whitespace control at all: the newlines are inside the string literals; the final
        // {% else %}{{ eos_token }} is not taken because add_generation_prompt is true.
        String expected = "<|system|>\nYou are helpful.<|end|>\n<|user|>\nHi<|end|>\n"
                + "<|assistant|>\nHello!<|end|>\n<|user|>\nHow are you?<|end|>\n<|assistant|>\n";
        assertEquals(expected, render("microsoft-Phi-3.5-mini-instruct", "<s>", "<|endoftext|>",
                ChatTemplates.THREE_TURNS, Map.of()));
        // Without the generation prompt the template ends with eos_token instead.
        assertEquals(expected.substring(0, expected.length() - "<|assistant|>\n".length()) + "<|endoftext|>",
                render("microsoft-Phi-3.5-mini-instruct", "<s>", "<|endoftext|>", ChatTemplates.THREE_TURNS, Map.of(), false));
    }

    @Test
    void mistralNemo() {
        // The system message is taken out of the loop and prepended to the LAST user message
        // with "\n\n"; assistant turns end with eos_token; there is no generation prompt text.
        String expected = "<s>[INST]Hi[/INST]Hello!</s>[INST]You are helpful.\n\nHow are you?[/INST]";
        assertEquals(expected, render("mistralai-Mistral-Nemo-Instruct-2407", "<s>", "</s>",
                ChatTemplates.THREE_TURNS, Map.of()));
    }

    @Test
    void gemma2() {
        // bos_token, then <start_of_turn>role\ncontent|trim<end_of_turn>\n with assistant -> model,
        // and <start_of_turn>model\n as the generation prompt.
        String expected = "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                + "<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n";
        assertEquals(expected, render("google-gemma-2-2b-it", "<bos>", "<eos>", ChatTemplates.NO_SYSTEM, Map.of()));
    }

    @Test
    void gemma2RefusesASystemPrompt() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("google-gemma-2-2b-it",
                "<bos>", "<eos>", ChatTemplates.THREE_TURNS, Map.of()));
        assertEquals(ChatTemplateException.Kind.RAISED, e.kind());
        assertEquals("System role not supported", e.detail());
    }

    @Test
    void gemma2RefusesTwoUserTurnsInARow() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("google-gemma-2-2b-it",
                "<bos>", "<eos>", List.of(ChatMessage.user("a"), ChatMessage.user("b")), Map.of()));
        assertEquals(ChatTemplateException.Kind.RAISED, e.kind());
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.detail());
    }

    @Test
    void mistralNemoRefusesBrokenAlternation() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render(
                "mistralai-Mistral-Nemo-Instruct-2407", "<s>", "</s>",
                List.of(ChatMessage.user("a"), ChatMessage.assistant("b"), ChatMessage.assistant("c")), Map.of()));
        assertEquals(ChatTemplateException.Kind.RAISED, e.kind());
        assertEquals("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...",
                e.detail());
    }

    @Test
    void smolLm3() {
        // enable_thinking undefined -> true -> "/think"; the system message (with /think and
        // /no_think removed, rstripped) becomes the custom instructions followed by "\n\n".
        String expected = "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\n"
                + "Reasoning Mode: /think\n\n## Custom Instructions\n\nYou are helpful.\n\n<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(expected, render("HuggingFaceTB-SmolLM3-3B", "", "<|im_end|>", ChatTemplates.THREE_TURNS, Map.of()));
    }

    @Test
    void smolLm3WithoutThinking() {
        // enable_thinking=false -> "/no_think": assistant turns and the generation prompt get an
        // empty think block.
        String expected = "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\n"
                + "Reasoning Mode: /no_think\n\n## Custom Instructions\n\nYou are helpful.\n\n<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\nHello!<|im_end|>\n"
                + "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n";
        assertEquals(expected, render("HuggingFaceTB-SmolLM3-3B", "", "<|im_end|>", ChatTemplates.THREE_TURNS,
                Map.of("enable_thinking", false)));
    }

    private static String render(String name, String bos, String eos, List<ChatMessage> messages, Map<String, Object> extra) {
        return render(name, bos, eos, messages, extra, true);
    }

    private static String render(String name, String bos, String eos, List<ChatMessage> messages,
            Map<String, Object> extra, boolean addGenerationPrompt) {
        return ChatTemplate.of(ChatTemplates.read(name), bos, eos).render(messages, addGenerationPrompt, extra);
    }
}
