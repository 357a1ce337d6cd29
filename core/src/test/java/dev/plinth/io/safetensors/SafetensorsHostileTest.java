package dev.plinth.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsHostileTest {

    @TempDir
    Path tmp;

    private static final String GOOD_ENTRY = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private ModelFormatException reject(byte[] bytes, String field, String messagePart) throws Exception {
        Path p = tmp.resolve("bad.safetensors");
        Files.write(p, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p).close());
        assertEquals(p, e.file());
        if (field != null) {
            assertEquals(field, e.field(), e.getMessage());
        }
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        return e;
    }

    private ModelFormatException reject(String header, int dataBytes, String field, String messagePart) throws Exception {
        return reject(SafetensorsRoundTripTest.raw(header, dataBytes), field, messagePart);
    }

    @Test
    void acceptsTheGoodBaseline() throws Exception {
        Path p = tmp.resolve("ok.safetensors");
        Files.write(p, SafetensorsRoundTripTest.raw("{" + GOOD_ENTRY + "}", 8));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertNotNull(f.tensor("a"));
        }
    }

    @Test
    void absurdHeaderLengths() throws Exception {
        reject(new byte[5], "header length", "too short");
        byte[] huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array();
        assertEquals(0, reject(huge, "header length", "out of range").offset());
        byte[] neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array();
        reject(neg, "header length", "18446744073709551615");
        byte[] past = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array();
        reject(past, "header length", "truncated");
    }

    @Test
    void notJson() throws Exception {
        ModelFormatException e = reject("{\"a\":{\"dtype\" \"F32\"}}", 0, null, "not valid JSON");
        assertEquals(8 + 14, e.offset()); // the quote where a colon belongs
        reject("[1,2]  ", 0, null, "must be a JSON object");
        reject("{" + GOOD_ENTRY + "} {}", 8, null, "after the header object");
        reject("{" + GOOD_ENTRY + "}\0\0\0", 8, null, "");
        reject("{\"a\":" + "[".repeat(5000) + "}", 0, null, "");
    }

    @Test
    void invalidUtf8() throws Exception {
        byte[] bytes = SafetensorsRoundTripTest.raw("{\"aXb\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0);
        bytes[8 + 3] = (byte) 0xC3; // a lead byte followed by 'b'
        assertEquals(11, reject(bytes, null, "UTF-8").offset());
    }

    @Test
    void wrongTypes() throws Exception {
        reject("{\"a\":3}", 0, "a", "must be an object");
        reject("{\"a\":{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,4]}}", 4, "a.dtype", "must be a string");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8, "a.shape", "array");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "a.shape", "VALUE_NUMBER_FLOAT");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "a.data_offsets", "exactly two");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", 8, "a.data_offsets", "more than 2");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "a.data_offsets", "lacks");
        reject("{\"__metadata__\":{\"k\":1}," + GOOD_ENTRY + "}", 8, "__metadata__.k", "must be a string");
        reject("{\"__metadata__\":[]}", 0, "__metadata__", "object of strings");
        reject("{" + GOOD_ENTRY + "," + GOOD_ENTRY + "}", 8, "a", "duplicate");
    }

    @Test
    void unsupportedDtypeListsSupported() throws Exception {
        reject("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "a.dtype", "F32, F16, I8, I16, I32, I64, F64, BF16");
        reject("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "a.dtype", "unknown dtype 'Q4'");
    }

    @Test
    void badShapes() throws Exception {
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "a.shape", "out of range");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,8]}}", 8, "a.shape", "out of range");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "a.data_offsets", "2^63");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[" + "1,".repeat(70) + "1],\"data_offsets\":[0,4]}}", 4, "a.shape", "more than 64");
    }

    @Test
    void badOffsets() throws Exception {
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "a.data_offsets", "past the end");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12, "a.data_offsets", "needs 8");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "a.data_offsets", "before begin");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "a.data_offsets", "gap of 4");
        reject("{" + GOOD_ENTRY + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "b.data_offsets", "overlap tensor 'a'");
        reject("{" + GOOD_ENTRY + "}", 12, "data_offsets", "4 bytes after the last tensor");
        reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,9223372036854775807]}}", 8, "a.data_offsets", "past the end");
    }

    @Test
    void hostileIndex() throws Exception {
        Files.write(tmp.resolve("s.safetensors"), SafetensorsRoundTripTest.raw("{" + GOOD_ENTRY + "}", 8));
        Path index = tmp.resolve(SafetensorsModel.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../s.safetensors\"}}");
        assertThrows(ModelFormatException.class, () -> SafetensorsModel.open(tmp).close());
        Files.writeString(index, "{\"weight_map\":{\"a\":\"s.safetensors\",\"b\":\"s.safetensors\"}}");
        var e = assertThrows(ModelFormatException.class, () -> SafetensorsModel.open(tmp).close());
        assertEquals("weight_map.b", e.field());
        Files.writeString(index, "{\"weight_map\":{}}");
        assertThrows(ModelFormatException.class, () -> SafetensorsModel.open(index).close());
        Files.writeString(index, "{\"weight_map\":");
        assertThrows(ModelFormatException.class, () -> SafetensorsModel.open(index).close());
        Files.writeString(index, "{\"weight_map\":{\"a\":\"s.safetensors\"}}");
        try (SafetensorsModel m = SafetensorsModel.open(index)) {
            assertEquals(1, m.tensorInfos().size());
        }
    }
}
