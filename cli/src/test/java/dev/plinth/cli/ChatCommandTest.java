package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.model.DecoderModel;
import dev.plinth.text.Tokenizer;
import dev.plinth.text.Tokenizers;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.io.gguf.GgufValue;
import dev.plinth.io.gguf.GgufWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plinth chat} with a scripted standard input on stories260K, which has no chat template
 * (so ChatML stands in). Each greedy reply must equal the model's own greedy continuation
 * ({@link DecoderModel#generateGreedy}) of the ChatML text written out by hand here, history included.
 */
class ChatCommandTest {

    private static final int MAX = 12;

    @Test
    void scriptedSessionKeepsHistoryAndFollowsCommands() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        String script = "Hello\nTell me a story\n/reset\n/system Be kind\nHello\n/exit\nnever read\n";
        Cli r = Cli.runWithInput(script, "chat", model.toString(), "--temperature", "0", "-n", Integer.toString(MAX));
        assertEquals(0, r.code(), r.err());

        String first = expectedReply(model, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");
        String second = expectedReply(model, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n" + first.strip()
                + "<|im_end|>\n<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n");
        String third = expectedReply(model, "<|im_start|>system\nBe kind<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                + "<|im_start|>assistant\n");
        assertEquals(first + "\n" + second + "\n" + third + "\n", r.out());
        assertTrue(r.err().contains("has no chat template; using ChatML"), r.err());
        assertTrue(r.err().contains("conversation reset"), r.err());
    }

    /** A Zephyr-style template written into a copy of the GGUF: chat must render it, not ChatML. */
    private static final String TEMPLATE = "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + eos_token + '\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

    @Test
    void theModelsOwnChatTemplateIsUsed(@TempDir Path tmp) throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        Path withTemplate = tmp.resolve("stories-chat.gguf");
        try (GgufFile gguf = GgufFile.open(model)) {
            GgufWriter.copyOf(gguf).put("tokenizer.chat_template", GgufValue.of(TEMPLATE)).write(withTemplate);
        }
        Cli r = Cli.runWithInput("/system Be kind\nHello\n", "chat", withTemplate.toString(), "--temperature", "0",
                "-n", Integer.toString(MAX));
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("ChatML"), r.err());
        // eos_token is "</s>", which parses as the EOS token; the template text starts without BOS, so BOS is added
        String expected = expectedReply(withTemplate, "<|system|>\nBe kind</s>\n<|user|>\nHello</s>\n<|assistant|>\n");
        assertEquals(expected + "\n", r.out());
    }

    @Test
    void emptyInputEndsCleanly() {
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        Cli r = Cli.runWithInput("", "chat", model.toString(), "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals("", r.err());
    }

    /** The model's greedy continuation of {@code chatml}, at most MAX tokens, cut at EOS or "<|im_end|>". */
    private static String expectedReply(Path model, String chatml) throws Exception {
        try (GgufFile gguf = GgufFile.open(model); DecoderModel m = DecoderModel.open(model)) {
            Tokenizer tok = Tokenizers.fromGguf(gguf);
            int[] prompt = tok.encode(chatml, true, true);
            int[] out = m.generateGreedy(prompt, MAX, tok.eosId());
            int n = out.length;
            if (n > 0 && out[n - 1] == tok.eosId()) {
                n--;
            }
            int[] withContext = new int[n + 1];
            withContext[0] = prompt[prompt.length - 1];
            System.arraycopy(out, 0, withContext, 1, n);
            String text = tok.decode(withContext).substring(tok.decode(new int[] {withContext[0]}).length());
            int stop = text.indexOf("<|im_end|>");
            return stop >= 0 ? text.substring(0, stop) : text;
        }
    }
}
