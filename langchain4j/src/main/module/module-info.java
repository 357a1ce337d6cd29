/** Plinth in LangChain4j: chat, streaming chat and embedding models, a knowledge base as store and retriever. */
module dev.plinth.langchain4j {
    requires transitive dev.plinth.templates;
    requires transitive dev.plinth.knowledge;
    requires transitive langchain4j.core;

    exports dev.plinth.langchain4j;
}
