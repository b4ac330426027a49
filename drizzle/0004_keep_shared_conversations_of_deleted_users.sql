PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text,
	`assistant_id` text,
	`workspace_id` text,
	`title` text,
	`is_ai` integer DEFAULT true NOT NULL,
	`model_id` text,
	`model_api_source` text,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`last_message_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`assistant_id`) REFERENCES `assistants`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_conversations`("id", "creator_id", "assistant_id", "workspace_id", "title", "is_ai", "model_id", "model_api_source", "last_seq", "last_message_at", "created_at", "updated_at") SELECT "id", "creator_id", "assistant_id", "workspace_id", "title", "is_ai", "model_id", "model_api_source", "last_seq", "last_message_at", "created_at", "updated_at" FROM `conversations`;--> statement-breakpoint
DROP TABLE `conversations`;--> statement-breakpoint
ALTER TABLE `__new_conversations` RENAME TO `conversations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `conversations_creator_idx` ON `conversations` (`creator_id`);--> statement-breakpoint
CREATE INDEX `conversations_assistant_idx` ON `conversations` (`assistant_id`);--> statement-breakpoint
CREATE INDEX `conversations_workspace_idx` ON `conversations` (`workspace_id`);