/** Chat with a base or a product through its template: {@link dev.plinth.api.chat.Chat}. */
package dev.plinth.api.chat;
