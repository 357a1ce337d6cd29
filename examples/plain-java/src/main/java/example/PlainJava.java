package example;

import dev.plinth.api.GenerateOptions;
import dev.plinth.api.LanguageModel;
import dev.plinth.api.chat.Chat;
import dev.plinth.api.knowledge.Knowledge;
import dev.plinth.knowledge.Grounding;
import dev.plinth.text.ChatMessage;
import java.util.List;

/** The seed's three products from a plain Java main: a profile (tutor), an adapter (mail), knowledge (policy). */
public class PlainJava {

    public static void main(String[] args) throws Exception {
        GenerateOptions options = GenerateOptions.defaults().withSeed(1L);

        try (LanguageModel tutor = LanguageModel.openProduct("tutor")) {
            System.out.print("tutor: ");
            Chat.of(tutor).reply(List.of(ChatMessage.user("meadow")), options, System.out::print);  // streamed
            System.out.println();
        }

        try (LanguageModel mail = LanguageModel.openProduct("mail")) {
            String email = "E-mail:\nPlease send me the updated gas schedule for tomorrow before noon.\nSubject:";
            System.out.println("mail: " + mail.generate(email, options).text().strip());
        }

        try (LanguageModel policy = LanguageModel.openProduct("policy");
             Knowledge knowledge = Knowledge.ofProduct(policy.product().orElseThrow())) {
            Grounding.Grounded grounded = knowledge.ground(List.of(ChatMessage.user("How do I install a package?")));
            System.out.println("policy: " + Chat.of(policy).reply(grounded.conversation(), options).text().strip());
            grounded.citations().forEach(c -> System.out.println("  " + c.line()));
        }

        try (LanguageModel base = LanguageModel.openProduct("base")) {  // the base the three stand on
            String schema = """
                    {"type": "object", "properties": {"word": {"type": "string", "maxLength": 20},
                     "part": {"enum": ["noun", "verb", "adjective"]}}}""";
            System.out.println("json: " + base.generate("meadow (noun):", options.withJsonSchema(schema).withMaxTokens(40)).text());
        }
    }
}
