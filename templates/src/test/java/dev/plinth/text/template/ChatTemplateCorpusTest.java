package dev.plinth.text.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every template of llama.cpp's corpus renders the three-turn conversation, or fails by name. */
class ChatTemplateCorpusTest {
    /** Renders achieved; a regression below this fails the build. */
    private static final int MIN_RENDERED = 66;

    private static final Clock FIXED = Clock.fixed(Instant.parse("2025-03-04T05:06:07Z"), ZoneOffset.UTC);

    @Test
    void everyTemplateRendersOrFailsNamingWhy() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(ChatTemplates.folder())) {
            files = list.filter(p -> p.toString().endsWith(".jinja")).sorted().toList();
        }
        assertEquals(68, files.size(), "templates in the corpus");
        Map<String, String> failures = new TreeMap<>();
        int rendered = 0;
        for (Path file : files) {
            String name = file.getFileName().toString();
            try {
                String out = ChatTemplate.of(Files.readString(file), "<s>", "</s>").withClock(FIXED)
                        .render(ChatTemplates.THREE_TURNS, true, Map.of());
                // Whatever the format, the user's last words and the system prompt must be in the prompt.
                assertTrue(out.contains("How are you?"), name + " lost the last user message:\n" + out);
                assertTrue(out.contains("Hi"), name + " lost the first user message:\n" + out);
                rendered++;
            } catch (ChatTemplateException e) {
                assertFalse(e.detail().isBlank(), name);
                assertTrue(e.kind() != ChatTemplateException.Kind.ERROR || e.detail().contains("undefined or none operand"),
                        name + " failed without naming a cause: " + e);
                failures.put(name, e.getMessage());
            }
        }
        System.out.println("chat templates rendered: " + rendered + " of " + files.size());
        failures.forEach((name, why) -> System.out.println("  not rendered: " + name + " -- " + why));
        assertTrue(rendered >= MIN_RENDERED, "rendered " + rendered + ", expected at least " + MIN_RENDERED);
    }

    @Test
    void templatesRenderedTwiceGiveTheSameText() throws IOException {
        // No state leaks between renders of the shared engine (namespace objects, set variables).
        String source = ChatTemplates.read("Qwen-Qwen3-0.6B");
        ChatTemplate template = ChatTemplate.of(source, "", "<|im_end|>");
        assertEquals(template.render(ChatTemplates.THREE_TURNS, true), template.render(ChatTemplates.THREE_TURNS, true));
    }
}
