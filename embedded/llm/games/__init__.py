"""Games whose state is replayed from the conversation history: guess the animal, a quiz."""
