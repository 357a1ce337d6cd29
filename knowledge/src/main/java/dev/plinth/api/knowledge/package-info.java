/** Knowledge bases as a library: create, open (by folder, name or product) and retrieve from them: {@link dev.plinth.api.knowledge.Knowledge}. */
package dev.plinth.api.knowledge;
