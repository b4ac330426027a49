CREATE TABLE `agent_packages` (
	`name` text NOT NULL,
	`version` text NOT NULL,
	`assistant_id` text NOT NULL,
	`installed_at` text NOT NULL,
	PRIMARY KEY(`name`, `version`),
	FOREIGN KEY (`assistant_id`) REFERENCES `assistants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `chat_secrets` (
	`secret_hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`conversation_id` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_secrets_expires_at_idx` ON `chat_secrets` (`expires_at`);--> statement-breakpoint
CREATE INDEX `chat_secrets_conversation_idx` ON `chat_secrets` (`conversation_id`);