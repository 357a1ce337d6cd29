package dev.plinth.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    void theRecordStillChecksWhatTheBuilderGives() {
        var noHeads = DecoderConfig.builder("llama").hiddenSize(64).layers(2).ffnSize(128).vocabSize(300);
        assertThrows(UnsupportedModelException.class, noHeads::build);
        var gpt2 = DecoderConfig.builder("gpt2").hiddenSize(64).layers(2).heads(4).ffnSize(128).vocabSize(300);
        assertThrows(UnsupportedModelException.class, gpt2::build);
    }
}
