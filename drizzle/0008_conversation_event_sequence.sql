CREATE TABLE `conversation_events` (
	`conversation_id` text NOT NULL,
	`event_seq` integer NOT NULL,
	`type` text NOT NULL,
	`message_id` text,
	`seq` integer NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`conversation_id`, `event_seq`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `conversations` ADD `last_event_seq` integer DEFAULT 0 NOT NULL;