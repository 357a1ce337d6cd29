/** Knowledge bases (ingest, chunks, embeddings, one Lucene index), and the library's knowledge entry. */
module dev.plinth.knowledge {
    requires transitive dev.plinth.core;
    requires org.apache.lucene.core;
    requires org.apache.lucene.analysis.common;
    requires org.apache.pdfbox;
    requires org.jsoup;

    exports dev.plinth.api.knowledge;
    exports dev.plinth.knowledge;
}
