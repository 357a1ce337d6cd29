package dev.plinth.io.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.io.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfConfigTest {

    @TempDir
    Path tmp;

    private static final Path SRC = Path.of("config.json");

    private static HfConfig config(String json) throws ModelFormatException {
        return HfConfig.parse(SRC, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsGpt2NamesFromFakeGpt2() throws Exception {
        HfConfig c = HfConfig.read(SharedData.require("models/fake-gpt2/config.json"));
        assertEquals(Optional.of("gpt2"), c.modelType());
        assertEquals(List.of("GPT2LMHeadModel"), c.architectures());
        assertEquals(OptionalInt.of(2), c.hiddenSize());
        assertEquals(OptionalInt.of(1), c.numHiddenLayers());
        assertEquals(OptionalInt.of(1), c.numAttentionHeads());
        assertEquals(OptionalInt.empty(), c.intermediateSize()); // n_inner is null
        assertEquals(OptionalInt.of(50257), c.vocabSize());
        assertEquals(OptionalInt.of(1024), c.maxPositionEmbeddings());
        assertEquals(OptionalDouble.of(1e-5), c.layerNormEps());
        assertEquals(Optional.of("float32"), c.torchDtype());
        assertEquals(Optional.empty(), c.tieWordEmbeddings());
        assertEquals(Map.of("do_sample", true, "max_length", 50L),
                ((Map<?, ?>) c.asMap().get("task_specific_params")).get("text-generation"));
        assertEquals("_name_or_path", c.asMap().keySet().iterator().next());
        assertEquals("gelu_new", c.raw().get("activation_function").asText());
    }

    @Test
    void readsBertTiniest() throws Exception {
        HfConfig c = HfConfig.read(SharedData.require("models/bert-tiniest/config.json"));
        assertEquals(Optional.of("bert"), c.modelType());
        assertEquals(OptionalInt.of(4), c.hiddenSize());
        assertEquals(OptionalInt.of(8), c.intermediateSize());
        assertEquals(OptionalInt.of(30522), c.vocabSize());
        assertEquals(OptionalInt.of(512), c.maxPositionEmbeddings());
        assertEquals(OptionalDouble.of(1e-12), c.layerNormEps());
        assertEquals(OptionalDouble.empty(), c.rmsNormEps());
        assertEquals(2L, c.asMap().get("type_vocab_size"));
    }

    @Test
    void readsLlamaStyleFields() throws Exception {
        HfConfig c = config("""
                {"model_type":"llama","hidden_size":2048,"num_key_value_heads":4,"rms_norm_eps":1e-6,
                 "rope_theta":500000,"rope_scaling":{"rope_type":"llama3","factor":8.0},"tie_word_embeddings":true,
                 "dtype":"bfloat16"}""");
        assertEquals(OptionalInt.of(4), c.numKeyValueHeads());
        assertEquals(OptionalDouble.of(1e-6), c.rmsNormEps());
        assertEquals(OptionalDouble.of(500000), c.ropeTheta());
        assertEquals(Optional.of(Map.of("rope_type", "llama3", "factor", 8.0)), c.ropeScaling());
        assertEquals(Optional.of(true), c.tieWordEmbeddings());
        assertEquals(Optional.of("bfloat16"), c.torchDtype());
    }

    @Test
    void rejectsWrongTypesWithKeyAndOffset() {
        var e = assertThrows(ModelFormatException.class, () -> config("{\"model_type\":\"x\",\n \"hidden_size\":\"big\"}"));
        assertEquals("hidden_size", e.field());
        assertEquals(20, e.offset());
        assertEquals("n_layer", assertThrows(ModelFormatException.class, () -> config("{\"n_layer\":-1}")).field());
        assertEquals("vocab_size", assertThrows(ModelFormatException.class, () -> config("{\"vocab_size\":1e99}")).field());
        assertEquals("vocab_size", assertThrows(ModelFormatException.class, () -> config("{\"vocab_size\":3000000000}")).field());
        assertEquals("architectures", assertThrows(ModelFormatException.class, () -> config("{\"architectures\":\"A\"}")).field());
        assertEquals("rope_scaling", assertThrows(ModelFormatException.class, () -> config("{\"rope_scaling\":2}")).field());
        assertEquals("tie_word_embeddings", assertThrows(ModelFormatException.class, () -> config("{\"tie_word_embeddings\":1}")).field());
        assertEquals("rms_norm_eps", assertThrows(ModelFormatException.class, () -> config("{\"rms_norm_eps\":\"1e-5\"}")).field());
        assertEquals("hidden_size", assertThrows(ModelFormatException.class, () -> config("{\"hidden_size\":1,\"hidden_size\":2}")).field());
        var notJson = assertThrows(ModelFormatException.class, () -> config("{\"a\": tru}"));
        assertTrue(notJson.getMessage().contains("not valid JSON"), notJson.getMessage());
        assertThrows(ModelFormatException.class, () -> config("[]"));
        assertThrows(ModelFormatException.class, () -> config("{} x"));
        assertThrows(ModelFormatException.class, () -> config("{\"a\":" + "[".repeat(100_000)));
        assertThrows(ModelFormatException.class, () -> HfConfig.parse(SRC, new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'}));
    }

    @Test
    void readsTokenizerConfigOfGpt2() throws Exception {
        TokenizerConfig t = TokenizerConfig.read(SharedData.require("models/fake-gpt2/tokenizer_config.json"));
        assertEquals("<|endoftext|>", t.bosToken().orElseThrow().content());
        assertEquals("<|endoftext|>", t.eosToken().orElseThrow().content());
        assertEquals("<|endoftext|>", t.unkToken().orElseThrow().content());
        assertEquals(Optional.empty(), t.padToken());
        assertEquals(OptionalLong.of(Long.MAX_VALUE), t.modelMaxLength());
        assertEquals(Optional.empty(), t.chatTemplate());
        var eot = t.addedTokensDecoder().get(50256);
        assertEquals(new TokenizerConfig.AddedToken("<|endoftext|>", false, false, true, false, true), eot);
        assertEquals(Optional.of("GPT2Tokenizer"), t.tokenizerClass());
    }

    @Test
    void readsTokenizerConfigOfBert() throws Exception {
        TokenizerConfig t = TokenizerConfig.read(SharedData.require("models/bert-tiniest/tokenizer_config.json"));
        assertEquals("[PAD]", t.padToken().orElseThrow().content());
        assertEquals("[SEP]", t.specialTokens().get("sep_token").content());
        assertEquals(List.of(0, 100, 101, 102, 103), List.copyOf(t.addedTokensDecoder().keySet()));
        assertEquals(false, t.addedTokensDecoder().get(103).normalized());
        assertEquals(Optional.of(true), Optional.ofNullable((Boolean) t.asMap().get("do_lower_case")));
    }

    @Test
    void readsTemplatesAndAddedTokenObjects() throws Exception {
        TokenizerConfig t = TokenizerConfig.parse(SRC, """
                {"add_bos_token": true, "add_eos_token": false, "model_max_length": 1e30,
                 "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": true,
                               "rstrip": true, "single_word": false},
                 "chat_template": [{"name": "default", "template": "{{ messages }}"},
                                   {"name": "tool_use", "template": "{{ tools }}"}]}
                """.getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.of(true), t.addBosToken());
        assertEquals(Optional.of(false), t.addEosToken());
        assertEquals(OptionalLong.of(Long.MAX_VALUE), t.modelMaxLength());
        assertEquals(new TokenizerConfig.AddedToken("<s>", false, true, true, false, false), t.bosToken().orElseThrow());
        assertEquals(Optional.of("{{ messages }}"), t.chatTemplate());
        assertEquals(Optional.of("{{ tools }}"), t.chatTemplate("tool_use"));
        TokenizerConfig single = TokenizerConfig.parse(SRC, "{\"chat_template\":\"{% for m in messages %}\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Map.of("default", "{% for m in messages %}"), single.chatTemplates());
    }

    @Test
    void readsSiblingJinjaTemplate() throws Exception {
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"model_max_length\": 2048}");
        Files.writeString(tmp.resolve("chat_template.jinja"), "{{ bos_token }}");
        TokenizerConfig t = TokenizerConfig.read(tmp.resolve("tokenizer_config.json"));
        assertEquals(Optional.of("{{ bos_token }}"), t.chatTemplate());
        assertEquals(OptionalLong.of(2048), t.modelMaxLength());
    }

    @Test
    void rejectsBadTokenizerConfigs() {
        String[][] cases = {
                {"{\"chat_template\": 3}", "chat_template"},
                {"{\"chat_template\": [{\"name\": \"x\"}]}", "chat_template"},
                {"{\"bos_token\": 1}", "bos_token"},
                {"{\"eos_token\": {\"lstrip\": true}}", "eos_token"},
                {"{\"add_bos_token\": \"yes\"}", "add_bos_token"},
                {"{\"model_max_length\": -1}", "model_max_length"},
                {"{\"added_tokens_decoder\": {\"x\": {}}}", "added_tokens_decoder.x"},
                {"{\"added_tokens_decoder\": {\"-4\": {\"content\": \"a\"}}}", "added_tokens_decoder.-4"},
                {"{\"added_tokens_decoder\": {\"4\": {\"content\": 5}}}", "added_tokens_decoder.4"},
        };
        for (String[] c : cases) {
            var e = assertThrows(ModelFormatException.class,
                    () -> TokenizerConfig.parse(SRC, c[0].getBytes(StandardCharsets.UTF_8)), c[0]);
            assertEquals(c[1], e.field(), e.getMessage());
        }
    }
}
