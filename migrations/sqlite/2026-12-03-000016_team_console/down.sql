DROP TABLE agent_preferences;
DROP TABLE saved_replies;
