package dev.plinth.text.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.model.ModelRuntime;
import dev.plinth.product.Fixtures;
import dev.plinth.product.Parameters;
import dev.plinth.product.Profile;
import dev.plinth.text.ChatMessage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A product's system prompt and few-shot turns rendered before the conversation, with its template or the base's. */
class ProductPromptTest {

    @TempDir
    Path tmp;

    private static final List<ChatMessage> FEW_SHOT = List.of(ChatMessage.user("2+2?"), ChatMessage.assistant("4"));

    @Test
    void theProfileComesBeforeTheConversationInTheBasesTemplate() throws Exception {
        try (ModelRuntime rt = ModelRuntime.open(Fixtures.tinyLlamaWithTemplate(tmp), null)) {
            Profile profile = new Profile("Be exact.", FEW_SHOT, null, Profile.JINJA, Parameters.NONE);
            ProductPrompt prompt = ProductPrompt.of(profile, rt);
            assertEquals("[system] Be exact.\n[user] 2+2?\n[assistant] 4\n[user] 3+3?\n[assistant]",
                    prompt.render(List.of(ChatMessage.user("3+3?"))));
            assertEquals("[system] Be terse.\n[user] 2+2?\n[assistant] 4\n[user] 3+3?\n[assistant]",
                    prompt.render(List.of(ChatMessage.system("Be terse."), ChatMessage.user("3+3?"))),
                    "the conversation's own system message replaces the profile's");

            Profile own = new Profile(null, FEW_SHOT, "{% for m in messages %}<{{ m['content'] }}>{% endfor %}", Profile.JINJA,
                    Parameters.NONE);
            assertEquals("<2+2?><4><3+3?>", ProductPrompt.of(own, rt).render(List.of(ChatMessage.user("3+3?"))));

            Profile go = new Profile(null, List.of(), "{{ .Prompt }}", Profile.GO, Parameters.NONE);
            assertEquals("[user] hi\n[assistant]", ProductPrompt.of(go, rt).render(List.of(ChatMessage.user("hi"))),
                    "an Ollama Go template is not rendered; the base's is");
        }
    }

    @Test
    void aBaseWithoutATemplateGetsChatMlMarkedAsAFallback() throws Exception {
        try (ModelRuntime rt = ModelRuntime.open(Fixtures.stories(tmp), null)) {
            ProductPrompt prompt = ProductPrompt.of(new Profile("S", List.of(), null, Profile.JINJA, Parameters.NONE), rt);
            assertTrue(prompt.template().isFallback());
            assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                    prompt.render(List.of(ChatMessage.user("hi"))));
        }
    }
}
