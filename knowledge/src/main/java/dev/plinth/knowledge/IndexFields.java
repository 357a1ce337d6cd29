package dev.plinth.knowledge;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.VectorSimilarityFunction;

/**
 * The Lucene documents of a knowledge base's index. Each chunk is one Lucene document with its
 * passage and source (stored), the analysed title, section and passage for BM25 ({@value #CONTENT},
 * English analyser: stop words, Porter stemming) and its embedding for HNSW search ({@value #VECTOR},
 * cosine). Each ingested file has one more document ({@value #KIND} = {@value #FILE}) recording its
 * digest, modification time, size, type and counts, which re-ingest compares against.
 */
final class IndexFields {
    static final String KIND = "kind";
    static final String CHUNK = "chunk";
    static final String FILE = "file";
    static final String SOURCE = "source";
    static final String DOCUMENT_ID = "doc_id";
    static final String TITLE = "title";
    static final String SECTION = "section";
    static final String TEXT = "text";
    static final String CONTENT = "content";
    static final String VECTOR = "vector";
    static final String FIRST_LINE = "first_line";
    static final String LAST_LINE = "last_line";
    static final String FIRST_PAGE = "first_page";
    static final String LAST_PAGE = "last_page";
    static final String ORDINAL = "ordinal";
    static final String SHA256 = "sha256";
    static final String MTIME = "mtime";
    static final String SIZE = "size";
    static final String TYPE = "type";
    static final String DOCUMENTS = "documents";
    static final String CHUNKS = "chunks";

    private IndexFields() {
    }

    static Analyzer analyzer() {
        return new EnglishAnalyzer();
    }

    static Document chunk(String source, Chunk c, float[] vector) {
        Document d = new Document();
        d.add(new StringField(KIND, CHUNK, Field.Store.NO));
        d.add(new StringField(SOURCE, source, Field.Store.YES));
        d.add(new StringField(DOCUMENT_ID, c.documentId(), Field.Store.YES));
        d.add(new StoredField(TITLE, c.title()));
        d.add(new StoredField(SECTION, c.section()));
        d.add(new StoredField(TEXT, c.text()));
        d.add(new TextField(CONTENT, Chunk.context(c.title(), c.section()) + "\n" + c.text(), Field.Store.NO));
        d.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.COSINE));
        d.add(new StoredField(FIRST_LINE, c.firstLine()));
        d.add(new StoredField(LAST_LINE, c.lastLine()));
        d.add(new StoredField(FIRST_PAGE, c.firstPage()));
        d.add(new StoredField(LAST_PAGE, c.lastPage()));
        d.add(new StoredField(ORDINAL, c.ordinal()));
        return d;
    }

    static Document file(SourceFile f) {
        Document d = new Document();
        d.add(new StringField(KIND, FILE, Field.Store.NO));
        d.add(new StringField(SOURCE, f.path(), Field.Store.YES));
        d.add(new StoredField(SHA256, f.sha256()));
        d.add(new StoredField(MTIME, f.modified()));
        d.add(new StoredField(SIZE, f.size()));
        d.add(new StoredField(TYPE, f.type()));
        d.add(new StoredField(DOCUMENTS, f.documents()));
        d.add(new StoredField(CHUNKS, f.chunks()));
        return d;
    }

    static SourceFile sourceFile(Document d) {
        return new SourceFile(d.get(SOURCE), d.get(SHA256), d.getField(MTIME).numericValue().longValue(),
                d.getField(SIZE).numericValue().longValue(), d.get(TYPE),
                d.getField(DOCUMENTS).numericValue().intValue(), d.getField(CHUNKS).numericValue().intValue());
    }

    static Hit hit(Document d, int rank, double score) {
        return new Hit(rank, score, d.get(DOCUMENT_ID), d.get(SOURCE), d.get(TITLE), d.get(SECTION),
                intOf(d, FIRST_LINE), intOf(d, LAST_LINE), intOf(d, FIRST_PAGE), intOf(d, LAST_PAGE), d.get(TEXT));
    }

    private static int intOf(Document d, String field) {
        return d.getField(field).numericValue().intValue();
    }
}
