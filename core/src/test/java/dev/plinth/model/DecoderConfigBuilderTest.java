package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.tensor.RopeLayout;
import org.junit.jupiter.api.Test;

class DecoderConfigBuilderTest {

    @Test
    void unnamedSettingsTakeTheLlamaDefaults() {
        DecoderConfig c = DecoderConfig.builder("llama").hiddenSize(64).layers(2).heads(4).ffnSize(128).vocabSize(300)
                .build();
        assertEquals(4, c.kvHeads());
        assertEquals(16, c.headDim());
        assertEquals(16, c.rotaryDim());
        assertEquals(2048, c.contextLength());
        assertEquals(1e-5f, c.rmsEps());
        assertEquals(10000.0, c.ropeBase());
        assertNull(c.ropeFreqFactors());
        assertEquals(RopeLayout.INTERLEAVED, c.ropeLayout());
        assertEquals(0, c.slidingWindow());
        assertFalse(c.qkvBias());
        assertFalse(c.qkNorm());
    }

    @Test
    void qwenDefaultsAreWhatGgufMeansByTheArchitecture() {
        DecoderConfig.Builder shape = DecoderConfig.builder("qwen2").hiddenSize(64).layers(2).heads(4).ffnSize(128)
                .vocabSize(300);
        DecoderConfig qwen2 = shape.build();
        assertEquals(RopeLayout.NEOX, qwen2.ropeLayout());
        assertTrue(qwen2.qkvBias());
        assertFalse(qwen2.qkNorm());
        DecoderConfig qwen3 = DecoderConfig.builder("qwen3").hiddenSize(64).layers(2).heads(4).ffnSize(128)
                .vocabSize(300).build();
        assertEquals(RopeLayout.NEOX, qwen3.ropeLayout());
        assertFalse(qwen3.qkvBias());
        assertTrue(qwen3.qkNorm());
        assertFalse(shape.qkvBias(false).build().qkvBias(), "a default can be overridden");
    }

    @Test
    void theRecordStillChecksWhatTheBuilderGives() {
        var noHeads = DecoderConfig.builder("llama").hiddenSize(64).layers(2).ffnSize(128).vocabSize(300);
        assertThrows(UnsupportedModelException.class, noHeads::build);
        var gpt2 = DecoderConfig.builder("gpt2").hiddenSize(64).layers(2).heads(4).ffnSize(128).vocabSize(300);
        assertThrows(UnsupportedModelException.class, gpt2::build);
    }
}
