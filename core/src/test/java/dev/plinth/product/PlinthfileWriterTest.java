package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plinth show --plinthfile}: the text re-creates the product's weights, adapters, profile, licences and description. */
class PlinthfileWriterTest {

    @TempDir
    Path tmp;

    @Test
    void thePrintedPlinthfileRecreatesTheProduct() throws Exception {
        Fixtures.stories(tmp.resolve("models"));
        Fixtures.loraGguf(tmp.resolve("style.gguf"), "llama");
        Store store = Store.open(tmp.resolve("home"));
        Product original = Fixtures.create(store, tmp, "tutor", """
                FROM models/stories260K.gguf
                ADAPTER style.gguf 0.25
                SYSTEM \"""You are a tutor.
                Be brief.\"""
                MESSAGE user "Quoted" words?
                MESSAGE assistant \"\"\"\"Yes.\"\"\"\"
                TEMPLATE {{ messages }}
                PARAMETER stop \""" User:\"""
                PARAMETER stop .
                PARAMETER num_ctx 256
                LICENSE MIT
                DESCRIPTION \"""Two
                lines.\"""
                """);
        String text = PlinthfileWriter.text(original);
        assertTrue(text.startsWith("# Plinthfile of tutor:latest (" + original.digest() + ")\n"), text);
        assertTrue(text.contains("FROM " + original.weightsFile() + "\n"), text);
        Product again = Fixtures.create(store, tmp, "again", text);
        assertEquals(original.weights(), again.weights());
        assertEquals(original.profile(), again.profile());
        assertEquals(original.licenses(), again.licenses());
        assertEquals(original.description(), again.description());
        assertEquals(original.adapters().getFirst().layers().getFirst().digest(), again.adapters().getFirst().layers().getFirst().digest());
        assertEquals(0.25f, again.adapters().getFirst().scale());
    }
}
