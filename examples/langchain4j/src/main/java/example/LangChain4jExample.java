package example;

import dev.langchain4j.rag.content.Content;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.UserMessage;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.knowledge.Knowledge;
import dev.plinth.langchain4j.PlinthChatModel;
import dev.plinth.langchain4j.PlinthContentRetriever;

/** The seed's three products behind LangChain4j AI services, in process. */
public class LangChain4jExample {

    interface Tutor {
        String explain(String word);
    }

    interface Mail {
        @UserMessage("E-mail:\n{{it}}\nSubject:")
        String subject(String email);
    }

    interface Policy {
        Result<String> answer(String question);
    }

    enum Part { NOUN, VERB, ADJECTIVE }

    record Word(String word, Part part) {
    }

    interface Grammar {
        Word classify(String word);
    }

    public static void main(String[] args) throws Exception {
        try (LanguageModel base = LanguageModel.openProduct("base");
             LanguageModel tutor = LanguageModel.openProduct("tutor");
             LanguageModel mail = LanguageModel.openProduct("mail");
             LanguageModel policy = LanguageModel.openProduct("policy");
             Knowledge knowledge = Knowledge.ofProduct(policy.product().orElseThrow())) {
            System.out.println("tutor: " + AiServices.create(Tutor.class, new PlinthChatModel(tutor)).explain("meadow"));
            System.out.println("mail: " + AiServices.create(Mail.class, new PlinthChatModel(mail))
                    .subject("Please send me the updated gas schedule for tomorrow before noon."));
            Policy rag = AiServices.builder(Policy.class).chatModel(new PlinthChatModel(policy))
                    .contentRetriever(new PlinthContentRetriever(knowledge, 3)).build();
            Result<String> answer = rag.answer("How do I install a package?");
            System.out.println("policy: " + answer.content());
            for (Content c : answer.sources()) {
                System.out.println("  source: " + c.textSegment().metadata().getString("location"));
            }
            // structured output: the reply is constrained to the record's JSON schema
            System.out.println("structured: " + AiServices.create(Grammar.class, new PlinthChatModel(base)).classify("meadow"));
        }
    }
}
