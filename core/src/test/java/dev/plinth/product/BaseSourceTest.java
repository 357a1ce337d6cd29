package dev.plinth.product;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.ModelFile;
import dev.plinth.io.ModelFiles;
import dev.plinth.io.gguf.GgufFile;
import dev.plinth.model.GenerationRequest;
import dev.plinth.model.Generator;
import dev.plinth.model.ModelRuntime;
import dev.plinth.model.SamplingParams;
import dev.plinth.tensor.DType;
import dev.plinth.text.Tokenizers;
import dev.plinth.train.BaseExport;
import dev.plinth.train.TrainableDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FROM a Hugging Face folder: converted to GGUF in its own dtype at create time, with the folder in the lineage. */
class BaseSourceTest {

    @TempDir
    Path tmp;

    @Test
    void aHuggingFaceFolderBecomesAGgufBaseThatGeneratesAsTheOriginal() throws Exception {
        Path gguf = Fixtures.stories(tmp.resolve("models"));
        Path hf = tmp.resolve("stories-hf");
        try (ModelFile model = ModelFiles.open(gguf); GgufFile g = GgufFile.open(gguf)) {
            Tokenizers.writeSpmTokenizerJson(g, tmp.resolve("tokenizer.json"));
            BaseExport.writeHuggingFace(TrainableDecoder.of(model), tmp.resolve("tokenizer.json"), hf);
        }
        Store store = Store.open(tmp.resolve("home"));
        Product p = Fixtures.create(store, tmp, "from-hf", "FROM stories-hf\n");

        try (GgufFile weights = GgufFile.open(p.weightsFile())) {
            assertEquals(DType.F32, weights.tensorInfo("blk.0.attn_q.weight").dtype(), "the folder's F32 is kept");
            assertEquals("stories-hf", weights.getString("general.name", ""));
        }
        int[] original = greedy(ModelRuntime.open(gguf, null));
        int[] converted = greedy(p.open());
        assertArrayEquals(original, converted);

        LineageNode base = p.lineage().getFirst();
        assertEquals("base", base.role());
        LineageNode source = base.parents().getFirst();
        assertEquals("huggingface", source.kind());
        assertEquals(hf.toString(), source.source());
        StringBuilder listing = new StringBuilder();
        try (Stream<Path> files = Files.list(hf)) {
            for (Path f : files.sorted().toList()) {
                listing.append(Digest.ofFile(f).hex()).append("  ").append(f.getFileName()).append('\n');
            }
        }
        assertEquals(Digest.of(listing.toString().getBytes(StandardCharsets.UTF_8)).toString(), source.digest(),
                "a folder's digest is that of its sha256sum listing");
        @SuppressWarnings("unchecked")
        Map<String, Object> files = (Map<String, Object>) source.details().get("files");
        assertEquals(Digest.ofFile(hf.resolve("model.safetensors")).toString(), files.get("model.safetensors"));
        assertTrue(p.baseLabel().equals("stories-hf"), p.baseLabel());
    }

    private static int[] greedy(ModelRuntime rt) {
        try (rt) {
            int[] prompt = rt.tokenizer().encode("Once upon a time", true, false);
            return new Generator(rt.tokenizer()).generate(rt.newSequence(64), prompt,
                    GenerationRequest.of(SamplingParams.greedy(), 16)).tokens();
        }
    }
}
